using StackExchange.Redis;

namespace PushFunctions.Delivery;

/// <summary>
/// The keys of one delivery stream: its entries, seq counter, epoch and idempotency records, all under the stream's
/// own hash tag (<c>pf:{user:u1}:…</c>), so one script touches one slot even on a cluster.
/// </summary>
public sealed record StreamKeys(RedisKey Stream, RedisKey Seq, RedisKey Epoch, RedisKey Idempotency, RedisKey IdempotencyOrder)
{
    /// <summary>The stream's hash tag: every key a script touches with the stream's begins with it.</summary>
    public static string Tag(StreamName stream) => $"pf:{{{stream}}}";

    public static StreamKeys Of(StreamName stream) => Under(Tag(stream));

    /// <summary>The keys of a stream under <paramref name="tag"/> (a hash tag of the caller's own, e.g. the benchmark's floor).</summary>
    public static StreamKeys Under(string tag) => new(tag + ":s", tag + ":seq", tag + ":epoch", tag + ":idem", tag + ":idem-order");

    public RedisKey[] All => [Stream, Seq, Epoch, Idempotency, IdempotencyOrder];
}
