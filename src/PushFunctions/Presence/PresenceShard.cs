using System.IO.Hashing;
using System.Text;
using StackExchange.Redis;

namespace PushFunctions.Presence;

/// <summary>
/// One of the <see cref="Count"/> parts presence is split into, each under its own hash tag
/// (<c>pf:{presence:7}:…</c>), so that on a Redis Cluster connects, disconnects and lease renewals spread over the
/// shards instead of all landing on one. A user always lives in the same shard (a hash of the user id), so the
/// user's connections, the online set, the names and the leases that one change touches stay in one slot and
/// connect.lua / disconnect.lua stay atomic.
/// </summary>
public sealed class PresenceShard
{
    /// <summary>
    /// Fixed: a user's shard is derived from it, so changing it would strand presence already stored. Reads of
    /// the whole (the online count, a page of the online list) send one command to each shard, all in one
    /// pipelined round trip, so the count is bounded by what a read may cost, not by the cluster's size.
    /// </summary>
    public const int Count = 16;

    public static readonly IReadOnlyList<PresenceShard> All = Enumerable.Range(0, Count).Select(i => new PresenceShard(i)).ToArray();

    private readonly string tag;

    private PresenceShard(int index)
    {
        Index = index;
        tag = $"pf:{{presence:{index}}}";
        Online = tag + ":online";
        Names = tag + ":names";
        Leases = tag + ":leases";
    }

    public int Index { get; }

    /// <summary>Sorted set: the shard's online user ids, all score 0 (ordered by id).</summary>
    public RedisKey Online { get; }

    /// <summary>Hash: online user id -> user name.</summary>
    public RedisKey Names { get; }

    /// <summary>Sorted set: "user id|connection id" -> lease expiry (unix ms).</summary>
    public RedisKey Leases { get; }

    /// <summary>Hash: the user's live connection ids -> session id.</summary>
    public RedisKey Connections(string userId) => $"{tag}:conns:{userId}";

    /// <summary>
    /// XxHash32 of the UTF-8 id: stable across processes and versions (string.GetHashCode is not), and every
    /// instance must agree on it.
    /// </summary>
    public static PresenceShard Of(string userId) => All[(int)(XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(userId)) % Count)];
}
