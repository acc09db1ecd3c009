using System.Collections.Concurrent;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace SignalREmulator.Auth;

/// <summary>A temporary access key as <c>GET /api/v1/auth/accessKey</c> returns it (spec §2.3).</summary>
public sealed record TemporaryAccessKey(string KeyId, string AccessKey)
{
    public override string ToString() => $"TemporaryAccessKey({KeyId})"; // never the key itself
}

/// <summary>
/// Temporary access keys handed to Microsoft Entra callers: a client token signed with one names it by <c>kid</c>.
/// Each lives 90 minutes, as the service's do (spec §2.3).
/// </summary>
public sealed class TemporaryAccessKeys(TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(90);

    private readonly ConcurrentDictionary<string, (SecurityKey Key, DateTimeOffset Expires)> _keys = new(StringComparer.Ordinal);

    public TemporaryAccessKey Issue()
    {
        var now = clock.GetUtcNow();
        foreach (var (id, entry) in _keys)
        {
            if (entry.Expires <= now) _keys.TryRemove(id, out _);
        }
        var issued = new TemporaryAccessKey(Guid.NewGuid().ToString("N"), Jwt.NewKey());
        _keys[issued.KeyId] = (Jwt.HmacKey(Encoding.UTF8.GetBytes(issued.AccessKey), issued.KeyId), now + Lifetime);
        return issued;
    }

    /// <summary>The live key named <paramref name="keyId"/>, or null (unknown or expired).</summary>
    public SecurityKey? Find(string? keyId) =>
        keyId is not null && _keys.TryGetValue(keyId, out var entry) && entry.Expires > clock.GetUtcNow() ? entry.Key : null;
}
