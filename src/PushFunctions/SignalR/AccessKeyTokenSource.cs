using System.Collections.Concurrent;

namespace PushFunctions.SignalR;

/// <summary>
/// Access-key auth: every token is an HS256 JWT signed with the connection string's AccessKey. A REST token is
/// reused for its audience until a minute before it expires: minting (JSON, HMAC, base64) cost more than the rest
/// of a call's client-side work (bench/RESULTS.md).
/// </summary>
public sealed class AccessKeyTokenSource(string accessKey, TimeProvider time) : ISignalRTokenSource
{
    private static readonly TimeSpan RestTokenLifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(1);
    private const int MaxCachedAudiences = 10_000;

    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset RenewAt)> restTokens = new(StringComparer.Ordinal);
    private readonly Microsoft.IdentityModel.Tokens.SigningCredentials credentials = JwtToken.Credentials(accessKey);

    public ValueTask<string> GetRestTokenAsync(string audience, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (restTokens.TryGetValue(audience, out var cached) && now < cached.RenewAt) return ValueTask.FromResult(cached.Token);

        var token = JwtToken.Create(credentials, audience, now, RestTokenLifetime);
        if (restTokens.Count >= MaxCachedAudiences) restTokens.Clear(); // one audience per user: bound the memory
        restTokens[audience] = (token, now + RestTokenLifetime - RenewBefore);
        return ValueTask.FromResult(token);
    }

    public ValueTask<string> GetClientTokenAsync(
        string audience, IReadOnlyList<KeyValuePair<string, string>> claims, TimeSpan lifetime, CancellationToken cancellationToken) =>
        ValueTask.FromResult(JwtToken.Create(credentials, audience, time.GetUtcNow(), lifetime, claims));
}
