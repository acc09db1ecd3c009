using Microsoft.Extensions.Options;
using PushFunctions.Configuration;
using PushFunctions.Redis;
using StackExchange.Redis;

namespace PushFunctions.Presence;

/// <summary>
/// Who a connection id belongs to: the user and session of its first <c>connected</c> event. SignalR Service
/// signs only the connection id, so a captured signature could be replayed with other user or event headers;
/// its genuine <c>connected</c> event always comes first, so the first claim is the true one and a later event
/// naming someone else changes nothing. Kept per connection under its own hash tag, renewed with the lease.
/// </summary>
public sealed class ConnectionOwners(RedisConnection redis, IOptions<PresenceOptions> settings)
{
    private static RedisKey Key(string connectionId) => $"pf:{{conn:{connectionId}}}:owner";
    private static string Owner(string userId, string sessionId) => userId + "\n" + sessionId;

    /// <summary>Outlives several lease periods: the lease check renews it while the connection exists.</summary>
    private TimeSpan Lifetime => settings.Value.Lease * 3;

    /// <returns>True when the connection is new, or already belongs to this user and session (a repeated event).</returns>
    public async Task<bool> ClaimAsync(string connectionId, string userId, string sessionId)
    {
        var owner = Owner(userId, sessionId);
        if (await redis.Database.StringSetAsync(Key(connectionId), owner, Lifetime, When.NotExists)) return true;
        return await redis.Database.StringGetAsync(Key(connectionId)) == owner;
    }

    /// <returns>True unless the connection is known to belong to another user.</returns>
    public async Task<bool> MayBeOwnedByAsync(string connectionId, string userId)
    {
        var owner = (string?)await redis.Database.StringGetAsync(Key(connectionId));
        return owner is null || owner.StartsWith(userId + "\n", StringComparison.Ordinal);
    }

    public Task RenewAsync(string connectionId) => redis.Database.KeyExpireAsync(Key(connectionId), Lifetime);

    public Task ForgetAsync(string connectionId) => redis.Database.KeyDeleteAsync(Key(connectionId));
}
