using StackExchange.Redis;
using PushFunctions.Configuration;
using PushFunctions.Http;
using PushFunctions.Redis;
using PushFunctions.Rooms;

namespace PushFunctions.Delivery;

/// <summary>
/// A new message for a stream: what the sender gave, and the sender's optional idempotency key.
/// <see cref="SenderMustBeMember"/>: a room send from a user's session, refused unless <see cref="From"/> is a member.
/// </summary>
public sealed record NewMessage(string? From, string Payload, string? IdempotencyKey, string RequestHash, bool SenderMustBeMember = false);

/// <summary>
/// Where a message landed. <see cref="Replayed"/>: an earlier request with the same idempotency key stored it.
/// <see cref="Members"/> and <see cref="Online"/> count a room's members when the message was stored (0 elsewhere).
/// </summary>
public sealed record AppendResult(string Id, long Seq, DateTimeOffset SentAt, bool Replayed, long Members, long Online);

/// <summary>A page of a stream: the messages after a cursor, and where the stream stands.</summary>
public sealed record StreamPage(long LatestSeq, long OldestRetainedSeq, IReadOnlyList<PushMessage> Messages);

/// <summary>
/// The delivery streams in Redis. Each stream is a Redis stream, its seq counter and its idempotency records, all
/// under the stream's own hash tag (<c>pf:{user:u1}:…</c>), so one script touches one slot even on a cluster.
/// </summary>
public sealed class StreamStore(RedisConnection redis, PushSettings settings, TimeProvider time)
{
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);
    private static readonly RedisScript Script = RedisScript.Load<StreamStore>("stream.lua");

    private static string Tag(StreamName stream) => $"pf:{{{stream}}}";
    private static RedisKey StreamKey(StreamName stream) => Tag(stream) + ":s";
    private static RedisKey SeqKey(StreamName stream) => Tag(stream) + ":seq";
    private static RedisKey IdempotencyKey(StreamName stream, string? from, string key) => $"{Tag(stream)}:idem:{from}:{key}";

    public async Task<AppendResult> AppendAsync(StreamName stream, NewMessage message)
    {
        var retention = settings.Retention.For(stream.Kind);
        var id = Guid.CreateVersion7().ToString("N");
        var now = time.GetUtcNow();
        var idempotent = message.IdempotencyKey is not null;
        var isRoom = stream.Kind == StreamKind.Room;
        var unused = SeqKey(stream);
        var result = (RedisResult[])(await Script.RunAsync(redis.Database,
            [
                StreamKey(stream), SeqKey(stream),
                idempotent ? IdempotencyKey(stream, message.From, message.IdempotencyKey!) : unused,
                isRoom ? RoomStore.MembersKey(stream.Id) : unused,
                isRoom ? RoomStore.OnlineMembersKey(stream.Id) : unused,
            ],
            [
                "append", id, message.From ?? "", message.Payload, now.ToUnixTimeMilliseconds(),
                retention.MaxLength, (long)retention.MaxAge.TotalMilliseconds,
                idempotent ? (long)IdempotencyWindow.TotalSeconds : 0, message.RequestHash,
                isRoom ? "1" : "0", message.SenderMustBeMember ? message.From : "",
            ]))!;

        switch ((long)result[0])
        {
            case 1:
                return new AppendResult(id, (long)result[1], now, Replayed: false, (long)result[2], (long)result[3]);
            case -1:
                throw new InvalidRequestException(StatusCodes.Status403Forbidden,
                    $"You are not a member of room '{stream.Id}': join it first.");
        }

        // An earlier request with the same key: answer with its result, unless this is a different request.
        var previous = ((string)result[1]!).Split('|');
        if (previous[2] != message.RequestHash)
            throw new InvalidRequestException(StatusCodes.Status422UnprocessableEntity,
                "This Idempotency-Key was already used for a different request in the last 24 hours; use a new key.");
        return new AppendResult(previous[0], long.Parse(previous[1]), now, Replayed: true, long.Parse(previous[3]), long.Parse(previous[4]));
    }

    public async Task<StreamPage> ReadAsync(StreamName stream, long afterSeq, int maxCount)
    {
        var cutoff = time.GetUtcNow() - settings.Retention.For(stream.Kind).MaxAge;
        var result = (RedisResult[])(await Script.RunAsync(redis.Database,
            [StreamKey(stream), SeqKey(stream), SeqKey(stream)],
            ["read", afterSeq, maxCount, cutoff.ToUnixTimeMilliseconds()]))!;

        var name = stream.ToString();
        var entries = (RedisResult[])result[2]!;
        var messages = new PushMessage[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = (RedisResult[])entries[i]!;
            var entryId = (string)entry[0]!;
            // Fields in the order stream.lua writes them: id, from, t, p.
            var fields = (RedisValue[])entry[1]!;
            var from = (string?)fields[3];
            messages[i] = new PushMessage(
                (string)fields[1]!,
                name,
                long.Parse(entryId.AsSpan(0, entryId.IndexOf('-'))),
                string.IsNullOrEmpty(from) ? null : from,
                (string)fields[7]!,
                DateTimeOffset.FromUnixTimeMilliseconds((long)fields[5]));
        }
        return new StreamPage((long)result[0], (long)result[1], messages);
    }

    /// <summary>The stream's latest seq (0 when nothing was ever sent).</summary>
    public async Task<long> LatestSeqAsync(StreamName stream) => (long?)await redis.Database.StringGetAsync(SeqKey(stream)) ?? 0;

    /// <summary>Removes the stream, its counter and (by expiry) its idempotency records.</summary>
    public Task DeleteAsync(StreamName stream) => redis.Database.KeyDeleteAsync([StreamKey(stream), SeqKey(stream)]);
}
