using PushFunctions.Redis;
using StackExchange.Redis;

namespace PushFunctions.Rooms;

/// <summary>A user whose room groups could not be restored in SignalR Service yet, and how often it was tried.</summary>
public sealed record PendingRestore(string UserId, int Attempts);

/// <summary>
/// Users whose room groups still need restoring, kept in Redis so that any instance's timer retries them: an
/// instance that failed may be stopped before it could try again. A sorted set by next attempt time, and the
/// attempt counts, under one hash tag.
/// </summary>
public sealed class GroupRestoreQueue(RedisConnection redis, TimeProvider time)
{
    private static readonly RedisKey DueKey = "pf:{rooms}:restore-due";
    private static readonly RedisKey AttemptsKey = "pf:{rooms}:restore-attempts";

    /// <summary>Records a failed attempt and when to try again.</summary>
    public Task FailedAsync(string userId, TimeSpan retryIn)
    {
        var transaction = redis.Database.CreateTransaction();
        _ = transaction.HashIncrementAsync(AttemptsKey, userId);
        _ = transaction.SortedSetAddAsync(DueKey, userId, (time.GetUtcNow() + retryIn).ToUnixTimeMilliseconds());
        return transaction.ExecuteAsync();
    }

    public Task DoneAsync(string userId)
    {
        var transaction = redis.Database.CreateTransaction();
        _ = transaction.SortedSetRemoveAsync(DueKey, userId);
        _ = transaction.HashDeleteAsync(AttemptsKey, userId);
        return transaction.ExecuteAsync();
    }

    /// <summary>When the first queued restore is due; null when none is queued.</summary>
    public async Task<DateTimeOffset?> EarliestDueAsync()
    {
        var first = await redis.Database.SortedSetRangeByRankWithScoresAsync(DueKey, 0, 0);
        return first.Length == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)first[0].Score);
    }

    /// <summary>Users due for another attempt, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<PendingRestore>> DueAsync(int max)
    {
        var db = redis.Database;
        var users = await db.SortedSetRangeByScoreAsync(DueKey, double.NegativeInfinity, time.GetUtcNow().ToUnixTimeMilliseconds(), take: max);
        if (users.Length == 0) return [];
        var attempts = await db.HashGetAsync(AttemptsKey, users);
        return users.Select((user, i) => new PendingRestore(user!, (int?)attempts[i] ?? 0)).ToList();
    }
}
