using StackExchange.Redis;
using PushFunctions.Redis;

namespace PushFunctions.Delivery;

/// <summary>
/// Each user's server-side cursor per stream: how far the user has received anywhere. A device with no cursor of
/// its own (a fresh browser) starts here, which is how messages for an offline user wait for them.
/// </summary>
public sealed class SyncCursors(RedisConnection redis)
{
    private static readonly RedisScript AdvanceScript = RedisScript.Load<SyncCursors>("cursors.lua");

    private static RedisKey Key(string userId) => $"pf:{{user:{userId}}}:cursors";

    public async Task<Dictionary<string, long>> GetAllAsync(string userId)
    {
        var entries = await redis.Database.HashGetAllAsync(Key(userId));
        return entries.ToDictionary(e => (string)e.Name!, e => (long)e.Value);
    }

    /// <summary>Moves cursors forward only; a stale device never moves one back.</summary>
    public Task AdvanceAsync(string userId, IReadOnlyCollection<KeyValuePair<string, long>> positions) =>
        positions.Count == 0
            ? Task.CompletedTask
            : AdvanceScript.RunAsync(redis.Database, [Key(userId)],
                positions.SelectMany(p => new RedisValue[] { p.Key, p.Value }).ToArray());

    /// <summary>Sets where a user starts reading a stream, unless they already have a cursor there.</summary>
    public Task StartAtAsync(string userId, StreamName stream, long seq) =>
        redis.Database.HashSetAsync(Key(userId), stream.ToString(), seq, When.NotExists);

    public Task ForgetAsync(string userId, StreamName stream) => redis.Database.HashDeleteAsync(Key(userId), stream.ToString());

    public Task DeleteAsync(string userId) => redis.Database.KeyDeleteAsync(Key(userId));
}
