using System.Collections.Concurrent;
using StackExchange.Redis;

namespace PushFunctions.Delivery;

/// <summary>
/// The keys of one delivery stream: its entries, seq counter, epoch and idempotency records, all under the stream's
/// own hash tag (<c>pf:{user:u1}:…</c>), so one script touches one slot even on a cluster.
/// </summary>
public sealed class StreamKeys(RedisKey stream, RedisKey seq, RedisKey epoch, RedisKey idempotency, RedisKey idempotencyOrder)
{
    public RedisKey Stream { get; } = stream;
    public RedisKey Seq { get; } = seq;
    public RedisKey Epoch { get; } = epoch;
    public RedisKey Idempotency { get; } = idempotency;
    public RedisKey IdempotencyOrder { get; } = idempotencyOrder;

    /// <summary>The stream's hash tag: every key a script touches with the stream's begins with it.</summary>
    public static string Tag(StreamName stream) => $"pf:{{{stream}}}";

    /// <summary>
    /// The keys of a stream, built once (one tag, five keys) and kept: a stream is written again and again. Bounded as
    /// SignalR Service's targets are: past <see cref="MaxKept"/> streams the kept keys start over.
    /// </summary>
    public static StreamKeys Of(StreamName stream)
    {
        if (Kept.TryGetValue(stream, out var keys)) return keys;
        if (Kept.Count >= MaxKept) Kept.Clear();
        return Kept.GetOrAdd(stream, Under(Tag(stream)));
    }

    private const int MaxKept = 10_000;
    private static readonly ConcurrentDictionary<StreamName, StreamKeys> Kept = new();

    /// <summary>The keys of a stream under <paramref name="tag"/> (a hash tag of the caller's own, e.g. the benchmark's floor).</summary>
    public static StreamKeys Under(string tag) => new(tag + ":s", tag + ":seq", tag + ":epoch", tag + ":idem", tag + ":idem-order");

    /// <summary>Every key, in the order stream_append.lua names them. Shared: never written to.</summary>
    public RedisKey[] All { get; } = [stream, seq, epoch, idempotency, idempotencyOrder];
}
