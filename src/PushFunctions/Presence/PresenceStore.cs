using StackExchange.Redis;
using PushFunctions.Configuration;
using PushFunctions.Redis;
using PushFunctions.Rooms;

namespace PushFunctions.Presence;

public sealed record OnlineUser(string UserId, string UserName);

/// <summary>
/// A page of the online list, and the counts beside it: online users, and live connections (the audience of a push
/// to everyone).
/// </summary>
public sealed record OnlinePage(long OnlineCount, long ConnectionCount, IReadOnlyList<OnlineUser> Users, string? Next);

/// <summary>What recording a connection changed: the user came online (their first connection); the connection was not known yet.</summary>
public readonly record struct Connected(bool MadeUserOnline, bool IsNewConnection);

/// <summary>A live connection whose lease ran out: the service may have lost its disconnected event.</summary>
public sealed record ExpiredLease(string UserId, string ConnectionId);

/// <summary>
/// Who is online: each user's live connections (with their session), the online users as sorted sets (counted
/// by ZCARD, paged by user id), their names, and a lease per connection. Split into <see cref="PresenceShard"/>s
/// by user: a change touches its user's shard only (one atomic script, one slot); a read of the whole sends one
/// command per shard, all at once, so it costs one round trip (each node answers its shards in parallel); a page
/// of the online list rarely takes two.
/// </summary>
public sealed class PresenceStore(RedisConnection redis, PushSettings settings, TimeProvider time) : IOnlineStatus
{
    /// <summary>Records a live connection and renews its lease; recording it again changes nothing else.</summary>
    public Task<Connected> ConnectAsync(string userId, string userName, string connectionId, string sessionId) =>
        ConnectScript.RunAsync(redis.Database, PresenceKeys.Of(userId), connectionId, sessionId, userId, userName, LeaseExpiry());

    /// <returns>True when this was the user's last live connection.</returns>
    public Task<bool> DisconnectAsync(string userId, string connectionId) =>
        DisconnectScript.RunAsync(redis.Database, PresenceKeys.Of(userId), connectionId, userId);

    /// <summary>The user's live connections and the session each belongs to.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ConnectionsAsync(string userId)
    {
        var entries = await redis.Database.HashGetAllAsync(PresenceShard.Of(userId).Connections(userId));
        return entries.ToDictionary(e => (string)e.Name!, e => (string)e.Value!, StringComparer.Ordinal);
    }

    public async Task<bool> IsOnlineAsync(string userId) =>
        (await redis.Database.SortedSetScoreAsync(PresenceShard.Of(userId).Online, userId)).HasValue;

    /// <summary>One ZCARD per shard, sent together: one round trip.</summary>
    public async Task<long> OnlineCountAsync()
    {
        var db = redis.Database;
        return (await Task.WhenAll(PresenceShard.All.Select(shard => db.SortedSetLengthAsync(shard.Online)))).Sum();
    }

    /// <summary>
    /// Online users in user-id order, after <paramref name="after"/>. A user's shard is a hash of the id, so a page's
    /// users spread evenly over the shards: each is asked (one script per shard, sent together: one round trip) for
    /// twice its share of the page, and only a shard that gave all it was asked for, so may hold more before the
    /// others' last users, is asked again for a whole page (a second round trip, rare). Each shard's counts and users
    /// describe one moment; the shards are read side by side, not in one transaction (a cluster has none across
    /// slots), so a user who comes or goes during the read may be counted at either moment.
    /// </summary>
    public async Task<OnlinePage> PageAsync(int limit, string? after)
    {
        var db = redis.Database;
        var wanted = limit + 1; // one more than the page says whether another follows
        var share = wanted / PresenceShard.Count * 2 + 4;
        var answers = await Task.WhenAll(PresenceShard.All.Select(shard => OnlinePageScript.RunAsync(db, shard, after, share)));
        var parts = answers.Select(a => new ShardPart(a.Users, Full: a.Users.Count == share)).ToArray();
        var known = KnownInOrder(parts);
        if (known.Count < wanted && parts.Any(p => p.Full))
        {
            parts = await Task.WhenAll(PresenceShard.All.Select(async (shard, i) => !parts[i].Full ? parts[i]
                : parts[i].Then(await OnlinePageScript.RunAsync(db, shard, parts[i].Users[^1].UserId, wanted), wanted)));
            known = KnownInOrder(parts);
        }
        var users = known.Take(limit).ToList();
        return new OnlinePage(answers.Sum(a => a.OnlineCount), answers.Sum(a => a.ConnectionCount), users,
            known.Count > limit ? users[^1].UserId : null);
    }

    /// <summary>One shard's users read so far, and whether it may hold more (it gave all it was asked for).</summary>
    private sealed record ShardPart(IReadOnlyList<OnlineUser> Users, bool Full)
    {
        public ShardPart Then(ShardPage more, int asked) => new([.. Users, .. more.Users], more.Users.Count == asked);
    }

    /// <summary>
    /// The users read, in id order, as far as every shard's are known: a shard that may hold more cuts the list at
    /// its last user read, since its next one could come before the other shards' later ones. User ids are ASCII
    /// (Ids), so ordinal order is Redis's byte order.
    /// </summary>
    private static List<OnlineUser> KnownInOrder(IReadOnlyList<ShardPart> parts)
    {
        var cut = parts.Where(p => p.Full).Select(p => p.Users[^1].UserId).Order(StringComparer.Ordinal).FirstOrDefault();
        return parts.SelectMany(p => p.Users)
            .Where(u => cut is null || string.CompareOrdinal(u.UserId, cut) <= 0)
            .OrderBy(u => u.UserId, StringComparer.Ordinal).ToList();
    }

    /// <summary>Connections whose lease has run out, oldest first, at most <paramref name="max"/> (from all shards).</summary>
    public async Task<IReadOnlyList<ExpiredLease>> ExpiredLeasesAsync(int max)
    {
        var db = redis.Database;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var shards = await Task.WhenAll(PresenceShard.All.Select(shard =>
            db.SortedSetRangeByScoreWithScoresAsync(shard.Leases, double.NegativeInfinity, now, take: max)));
        return shards.SelectMany(s => s).OrderBy(e => e.Score).Take(max)
            .Select(e => ((string)e.Element!).Split('|', 2)).Select(p => new ExpiredLease(p[0], p[1])).ToList();
    }

    /// <summary>When the first live connection's lease runs out (from all shards, one round trip); null when none is live.</summary>
    public async Task<DateTimeOffset?> EarliestLeaseExpiryAsync()
    {
        var db = redis.Database;
        var firsts = await Task.WhenAll(PresenceShard.All.Select(shard => db.SortedSetRangeByRankWithScoresAsync(shard.Leases, 0, 0)));
        var earliest = firsts.SelectMany(f => f).Select(e => (double?)e.Score).Min();
        return earliest is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds((long)ms) : null;
    }

    public Task RenewLeaseAsync(ExpiredLease lease) =>
        redis.Database.SortedSetAddAsync(PresenceShard.Of(lease.UserId).Leases, $"{lease.UserId}|{lease.ConnectionId}", LeaseExpiry(), When.Exists);

    private long LeaseExpiry() => (time.GetUtcNow() + settings.PresenceLease).ToUnixTimeMilliseconds();
}
