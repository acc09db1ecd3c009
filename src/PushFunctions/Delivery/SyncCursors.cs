using StackExchange.Redis;
using PushFunctions.Redis;

namespace PushFunctions.Delivery;

/// <summary>
/// Each user's server-side cursor per stream and epoch: how far the user has received anywhere. A device with no
/// cursor of its own (a fresh browser) starts here, which is how messages for an offline user wait for them.
/// </summary>
public sealed class SyncCursors(RedisConnection redis)
{
    private static readonly CursorsAdvanceScript Advance = new();

    private static RedisKey Key(string userId) => $"pf:{{user:{userId}}}:cursors";

    public async Task<Dictionary<string, StreamPosition>> GetAllAsync(string userId)
    {
        var entries = await redis.Database.HashGetAllAsync(Key(userId));
        return entries.ToDictionary(e => (string)e.Name!, e => Parse(e.Value!));
    }

    /// <summary>"seq:epoch" as cursors_advance.lua writes it, or "seq" (epoch not known).</summary>
    private static StreamPosition Parse(string value)
    {
        var colon = value.IndexOf(':');
        return colon < 0 ? new StreamPosition(long.Parse(value), null) : new StreamPosition(long.Parse(value.AsSpan(0, colon)), value[(colon + 1)..]);
    }

    /// <summary>
    /// Within an epoch cursors only move forward, so a stale device never moves one back; a cursor of another epoch,
    /// or ahead of its stream, is replaced.
    /// </summary>
    public Task AdvanceAsync(string userId, IReadOnlyCollection<CursorMove> moves) =>
        moves.Count == 0 ? Task.CompletedTask : Advance.RunAsync(redis.Database, new(Key(userId), moves));

    /// <summary>Sets where a user starts reading a stream, unless they already have a cursor there.</summary>
    public Task StartAtAsync(string userId, StreamName stream, long seq) =>
        redis.Database.HashSetAsync(Key(userId), stream.ToString(), seq, When.NotExists);

    /// <summary>
    /// Keeps the user's cursors at least until <paramref name="until"/> (never shortens their life): past the
    /// user's last session and what their stream may still hold, nobody reads them.
    /// </summary>
    public Task KeepUntilAsync(string userId, DateTimeOffset until)
    {
        var keep = redis.Database.CreateTransaction();
        keep.KeepAtLeastUntil(Key(userId), until);
        return keep.ExecuteAsync();
    }

    public Task ForgetAsync(string userId, StreamName stream) => redis.Database.HashDeleteAsync(Key(userId), stream.ToString());

    public Task DeleteAsync(string userId) => redis.Database.KeyDeleteAsync(Key(userId));
}
