namespace PushFunctions.SignalR;

/// <summary>Tokens for SignalR Service: bearer tokens for REST calls, and client access tokens for negotiate.</summary>
public interface ISignalRTokenSource
{
    ValueTask<string> GetRestTokenAsync(string audience, CancellationToken cancellationToken);

    ValueTask<string> GetClientTokenAsync(
        string audience, IReadOnlyList<KeyValuePair<string, string>> claims, TimeSpan lifetime, CancellationToken cancellationToken);
}

/// <summary>Access-key auth: every token is an HS256 JWT signed with the connection string's AccessKey.</summary>
public sealed class AccessKeyTokenSource(string accessKey, TimeProvider time) : ISignalRTokenSource
{
    private static readonly TimeSpan RestTokenLifetime = TimeSpan.FromMinutes(5);

    public ValueTask<string> GetRestTokenAsync(string audience, CancellationToken cancellationToken) =>
        ValueTask.FromResult(JwtToken.Create(accessKey, audience, time.GetUtcNow(), RestTokenLifetime));

    public ValueTask<string> GetClientTokenAsync(
        string audience, IReadOnlyList<KeyValuePair<string, string>> claims, TimeSpan lifetime, CancellationToken cancellationToken) =>
        ValueTask.FromResult(JwtToken.Create(accessKey, audience, time.GetUtcNow(), lifetime, claims));
}
