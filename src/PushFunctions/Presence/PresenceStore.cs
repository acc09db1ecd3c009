using StackExchange.Redis;
using PushFunctions.Configuration;
using PushFunctions.Redis;

namespace PushFunctions.Presence;

public sealed record OnlineUser(string UserId, string UserName);

public sealed record OnlinePage(long OnlineCount, IReadOnlyList<OnlineUser> Users, string? Next);

/// <summary>A live connection whose lease ran out: the service may have lost its disconnected event.</summary>
public sealed record ExpiredLease(string UserId, string ConnectionId);

/// <summary>
/// Who is online: each user's live connections (with their session), the online users as a sorted set (count in
/// O(1), pages by user id), their names, and a lease per connection. All under one hash tag, so each change is
/// one atomic script.
/// </summary>
public sealed class PresenceStore(RedisConnection redis, PushSettings settings, TimeProvider time)
{
    private const string Tag = "pf:{presence}";
    private static readonly RedisKey OnlineKey = Tag + ":online";
    private static readonly RedisKey NamesKey = Tag + ":names";
    private static readonly RedisKey LeasesKey = Tag + ":leases";
    private static RedisKey ConnectionsKey(string userId) => $"{Tag}:conns:{userId}";
    private static PresenceKeys Keys(string userId) => new(ConnectionsKey(userId), OnlineKey, NamesKey, LeasesKey);

    /// <returns>True when this was the user's first live connection.</returns>
    public Task<bool> ConnectAsync(string userId, string userName, string connectionId, string sessionId) =>
        ConnectScript.RunAsync(redis.Database, Keys(userId), connectionId, sessionId, userId, userName, LeaseExpiry());

    /// <returns>True when this was the user's last live connection.</returns>
    public Task<bool> DisconnectAsync(string userId, string connectionId) =>
        DisconnectScript.RunAsync(redis.Database, Keys(userId), connectionId, userId);

    /// <summary>The user's live connections and the session each belongs to.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ConnectionsAsync(string userId)
    {
        var entries = await redis.Database.HashGetAllAsync(ConnectionsKey(userId));
        return entries.ToDictionary(e => (string)e.Name!, e => (string)e.Value!, StringComparer.Ordinal);
    }

    public async Task<bool> IsOnlineAsync(string userId) =>
        (await redis.Database.SortedSetScoreAsync(OnlineKey, userId)).HasValue;

    /// <summary>Live connections (one lease each): the audience of a push to everyone.</summary>
    public Task<long> ConnectionCountAsync() => redis.Database.SortedSetLengthAsync(LeasesKey);
    public Task<long> OnlineCountAsync() => redis.Database.SortedSetLengthAsync(OnlineKey);

    /// <summary>Online users in user-id order, after <paramref name="after"/>.</summary>
    public async Task<OnlinePage> PageAsync(int limit, string? after)
    {
        var db = redis.Database;
        // One transaction, so the count and the page describe the same moment.
        var read = db.CreateTransaction();
        var count = read.SortedSetLengthAsync(OnlineKey);
        var idsTask = read.SortedSetRangeByValueAsync(OnlineKey,
            after is null ? default : (RedisValue)after, default,
            after is null ? Exclude.None : Exclude.Start, Order.Ascending, 0, limit + 1);
        await read.ExecuteAsync();
        var ids = await idsTask;
        var page = ids.Take(limit).ToArray();
        var names = page.Length == 0 ? [] : await db.HashGetAsync(NamesKey, page);
        var users = page.Select((id, i) => new OnlineUser(id!, (string?)names[i] ?? id!)).ToList();
        return new OnlinePage(await count, users, ids.Length > limit ? users[^1].UserId : null);
    }

    /// <summary>Connections whose lease has run out, oldest first, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<ExpiredLease>> ExpiredLeasesAsync(int max)
    {
        var members = await redis.Database.SortedSetRangeByScoreAsync(LeasesKey, double.NegativeInfinity,
            time.GetUtcNow().ToUnixTimeMilliseconds(), take: max);
        return members.Select(m => ((string)m!).Split('|', 2)).Select(p => new ExpiredLease(p[0], p[1])).ToList();
    }

    public Task RenewLeaseAsync(ExpiredLease lease) =>
        redis.Database.SortedSetAddAsync(LeasesKey, $"{lease.UserId}|{lease.ConnectionId}", LeaseExpiry(), When.Exists);

    private long LeaseExpiry() => (time.GetUtcNow() + settings.PresenceLease).ToUnixTimeMilliseconds();
}
