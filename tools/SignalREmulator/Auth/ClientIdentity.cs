namespace SignalREmulator.Auth;

/// <summary>Who a client connection is, established from its access token when it negotiates or connects.</summary>
public sealed class ClientIdentity(string hub, string? userId, IReadOnlyList<TokenClaim> claims, string clientQuery)
{
    /// <summary>Key under which the identity travels in <c>HttpContext.Items</c> (copied to long-polling connections too).</summary>
    public static readonly object ItemKey = new();

    /// <summary>Internal hub name (lowercase).</summary>
    public string Hub { get; } = hub;

    public string? UserId { get; } = userId;

    public IReadOnlyList<TokenClaim> Claims { get; } = claims;

    /// <summary>The connect request's query with its leading <c>?</c>, minus <c>access_token</c>.</summary>
    public string ClientQuery { get; } = clientQuery;
}
