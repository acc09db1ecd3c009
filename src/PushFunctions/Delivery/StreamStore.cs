using System.Security.Cryptography;
using StackExchange.Redis;
using PushFunctions.Configuration;
using PushFunctions.Redis;

namespace PushFunctions.Delivery;

/// <summary>
/// A new message for a stream: what the sender gave, and the sender's optional idempotency key.
/// <see cref="SenderMustBeMember"/>: a room send from a user's session, refused unless <see cref="From"/> is a member.
/// </summary>
public sealed record NewMessage(string? From, string Payload, string? IdempotencyKey, string RequestHash, bool SenderMustBeMember = false);

/// <summary>
/// Where a message landed. <see cref="Replayed"/>: an earlier request with the same idempotency key stored it.
/// <see cref="Members"/> and <see cref="Online"/> count a room's members when the message was stored (0 elsewhere).
/// <see cref="Epoch"/>: the stream's epoch when it was stored (null for a replay: nothing is pushed again).
/// </summary>
public sealed record AppendResult(string Id, long Seq, string? Epoch, DateTimeOffset SentAt, bool Replayed, long Members, long Online);

public enum AppendStatus
{
    Stored,
    /// <summary>An earlier request with the same idempotency key stored it; nothing was stored again.</summary>
    Replayed,
    /// <summary>A room send from a user who is not a member of the room.</summary>
    SenderNotMember,
    /// <summary>The idempotency key was used in the last 24 h for a different request.</summary>
    IdempotencyKeyReused,
}

/// <summary>The outcome of an append; <see cref="Message"/> is set when it was stored or replayed.</summary>
public sealed record AppendOutcome(AppendStatus Status, AppendResult? Message = null);

/// <summary>
/// A page of a stream: the messages after a cursor, and where the stream stands. <see cref="Restarted"/>: the
/// cursor was from another epoch or ahead of the stream, so the page starts over instead.
/// </summary>
public sealed record StreamPage(long LatestSeq, long OldestRetainedSeq, string Epoch, bool Restarted, IReadOnlyList<PushMessage> Messages);

/// <summary>
/// A position in a stream: a seq, the epoch it was taken in, and the id of the message at that seq (each null when
/// not known). The id tells a seq that Redis lost and used again for another message.
/// </summary>
public readonly record struct StreamPosition(long Seq, string? Epoch, string? Id = null);

/// <summary>
/// The delivery streams in Redis. Each stream is a Redis stream, its seq counter, its epoch and its idempotency
/// records, all under the stream's own hash tag (<c>pf:{user:u1}:…</c>), so one script touches one slot even on a
/// cluster.
/// </summary>
public sealed class StreamStore(RedisConnection redis, PushSettings settings, TimeProvider time)
{
    private static readonly StreamScript Script = new();
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);

    private static string Tag(StreamName stream) => $"pf:{{{stream}}}";
    private static RedisKey SeqKey(StreamName stream) => Tag(stream) + ":seq";
    /// <summary>
    /// A room's members and online members, under the room stream's hash tag, where stream.lua counts them with
    /// each append (a room message's total and online). Rooms keeps them; they are named here, beside the tag.
    /// </summary>
    public static RedisKey RoomMembersKey(string roomId) => Tag(StreamName.ForRoom(roomId)) + ":members";
    public static RedisKey RoomOnlineMembersKey(string roomId) => Tag(StreamName.ForRoom(roomId)) + ":online";

    private static StreamKeys Keys(StreamName stream) =>
        new(Tag(stream) + ":s", SeqKey(stream), Tag(stream) + ":epoch", Tag(stream) + ":idem", Tag(stream) + ":idem-order");

    /// <summary>A short random id, used only if the stream's counter has to be made.</summary>
    private static string NewEpoch() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));

    public async Task<AppendOutcome> AppendAsync(StreamName stream, NewMessage message)
    {
        var retention = settings.Retention.For(stream.Kind);
        var id = Guid.CreateVersion7().ToString("N");
        var now = time.GetUtcNow();
        var idempotent = message.IdempotencyKey is not null;
        var isRoom = stream.Kind == StreamKind.Room;
        var unused = SeqKey(stream);
        var reply = await Script.AppendAsync(redis.Database, Keys(stream), NewEpoch(),
            isRoom ? (RoomMembersKey(stream.Id), RoomOnlineMembersKey(stream.Id)) : (unused, unused),
            new AppendArgs(id, message.From ?? "", message.Payload, now.ToUnixTimeMilliseconds(),
                retention.MaxLength, (long)retention.MaxAge.TotalMilliseconds,
                idempotent ? (long)IdempotencyWindow.TotalSeconds : 0, message.RequestHash,
                isRoom, message.SenderMustBeMember ? message.From ?? "" : "",
                idempotent ? $"{message.From}:{message.IdempotencyKey}" : ""));

        return reply switch
        {
            AppendReply.Stored stored => new AppendOutcome(AppendStatus.Stored,
                new AppendResult(id, stored.Seq, stored.Epoch, now, Replayed: false, stored.Members, stored.Online)),
            AppendReply.Earlier earlier when earlier.RequestHash != message.RequestHash => new AppendOutcome(AppendStatus.IdempotencyKeyReused),
            AppendReply.Earlier earlier => new AppendOutcome(AppendStatus.Replayed,
                new AppendResult(earlier.Id, earlier.Seq, null, now, Replayed: true, earlier.Members, earlier.Online)),
            _ => new AppendOutcome(AppendStatus.SenderNotMember),
        };
    }

    /// <summary>
    /// The messages after <paramref name="after"/>. When its epoch is not the stream's, its seq is ahead of the
    /// stream, or its seq holds another message (Redis lost data), the page starts after
    /// <paramref name="restartAfter"/> instead and says so.
    /// </summary>
    /// <param name="maxBytes">Payload bytes the page may hold; it holds at least one message whatever its size.</param>
    public async Task<StreamPage> ReadAsync(StreamName stream, StreamPosition after, long restartAfter, int maxCount, long maxBytes)
    {
        var maxAge = settings.Retention.For(stream.Kind).MaxAge;
        var cutoff = time.GetUtcNow() - maxAge;
        var reply = await Script.ReadAsync(redis.Database, Keys(stream), NewEpoch(),
            after.Seq, maxCount, maxBytes, cutoff.ToUnixTimeMilliseconds(), (long)maxAge.TotalMilliseconds, after.Epoch, after.Id, restartAfter);
        var name = stream.ToString();
        var messages = reply.Entries
            .Select(e => new PushMessage(e.Id, name, e.Seq, reply.Epoch, e.From, e.Payload, DateTimeOffset.FromUnixTimeMilliseconds(e.SentAtMs)))
            .ToArray();
        return new StreamPage(reply.LatestSeq, reply.OldestRetainedSeq, reply.Epoch, reply.Restarted, messages);
    }

    /// <summary>The stream's latest seq (0 when nothing was ever sent).</summary>
    public async Task<long> LatestSeqAsync(StreamName stream) => (long?)await redis.Database.StringGetAsync(SeqKey(stream)) ?? 0;

    /// <summary>Removes the stream, its counter, its epoch and its idempotency records.</summary>
    public Task DeleteAsync(StreamName stream)
    {
        var keys = Keys(stream);
        return redis.Database.KeyDeleteAsync([keys.Stream, keys.Seq, keys.Epoch, keys.Idempotency, keys.IdempotencyOrder]);
    }
}
