using System.Buffers.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Identity;

namespace PushFunctions.Security;

/// <summary>
/// A Microsoft Entra access token for one scope from a <see cref="TokenCredential"/>, cached and fetched again
/// before it expires: at the credential's <c>RefreshOn</c> when it gives one, else 5 minutes before expiry (half
/// the lifetime for short tokens). An expired token is never handed out.
/// </summary>
public sealed class EntraTokens
{
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(30);

    private readonly TokenCredential credential;
    private readonly TokenRequestContext request;
    private readonly TimeProvider time;
    private readonly RefreshingValue<AccessToken> cache;

    public EntraTokens(TokenCredential credential, string scope, TimeProvider time, string purpose)
    {
        this.credential = credential;
        this.time = time;
        Scope = scope;
        request = new TokenRequestContext([scope]);
        cache = new RefreshingValue<AccessToken>(FetchAsync, time, $"a Microsoft Entra token for {purpose} (scope {scope})");
    }

    public string Scope { get; }

    public async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default) =>
        (await cache.GetAsync(cancellationToken)).Token;

    /// <inheritdoc cref="RefreshingValue{T}.GetEntryAsync"/>
    public ValueTask<Refreshed<AccessToken>> GetEntryAsync(bool waitForRefresh, CancellationToken cancellationToken = default) =>
        cache.GetEntryAsync(waitForRefresh, cancellationToken);

    private async Task<Refreshed<AccessToken>> FetchAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var token = await credential.GetTokenAsync(request, cancellationToken);
        var lifetime = token.ExpiresOn - now;
        var margin = lifetime > 2 * RefreshMargin ? RefreshMargin : lifetime / 2;
        var refreshAt = token.ExpiresOn - margin;
        if (token.RefreshOn is { } refreshOn && refreshOn > now && refreshOn < refreshAt) refreshAt = refreshOn;
        var usableUntil = token.ExpiresOn - (lifetime > 4 * ExpiryMargin ? ExpiryMargin : TimeSpan.Zero);
        return new Refreshed<AccessToken>(token, refreshAt, usableUntil);
    }

    /// <summary>
    /// The managed identity: user-assigned when <paramref name="clientId"/> is given, else system-assigned.
    /// </summary>
    public static TokenCredential ManagedIdentity(string? clientId) =>
        new ManagedIdentityCredential(string.IsNullOrWhiteSpace(clientId)
            ? ManagedIdentityId.SystemAssigned
            : ManagedIdentityId.FromUserAssignedClientId(clientId.Trim()));

    /// <summary>A string claim from a JWT's payload, without validating it (the token is our own, from Entra).</summary>
    public static string? ReadClaim(string jwt, string claim)
    {
        var parts = jwt.Split('.');
        if (parts.Length < 2) return null;
        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            return payload.RootElement.ValueKind == JsonValueKind.Object
                && payload.RootElement.TryGetProperty(claim, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}
