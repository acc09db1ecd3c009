using Microsoft.Extensions.Options;
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
/// The delivery streams in Redis (<see cref="StreamKeys"/>): appends and reads, each one script.
/// </summary>
public sealed class StreamStore(RedisConnection redis, IOptions<RetentionOptions> retention, TimeProvider time)
{
    private static readonly StreamAppendScript Append = new();
    private static readonly StreamReadScript Read = new();
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);

    /// <summary>
    /// A room's members and online members, under the room stream's hash tag, where the append script counts them
    /// with each append (a room message's total and online). Rooms keeps them; they are named here, beside the tag.
    /// </summary>
    public static RedisKey RoomMembersKey(string roomId) => StreamKeys.Tag(StreamName.ForRoom(roomId)) + ":members";
    public static RedisKey RoomOnlineMembersKey(string roomId) => StreamKeys.Tag(StreamName.ForRoom(roomId)) + ":online";

    /// <summary>A short random id, used only if the stream's counter has to be made.</summary>
    private static string NewEpoch() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));

    public async Task<AppendOutcome> AppendAsync(StreamName stream, NewMessage message)
    {
        var policy = retention.Value.For(stream.Kind);
        var id = Guid.CreateVersion7().ToString("N");
        var now = time.GetUtcNow();
        var reply = await Append.RunAsync(redis.Database, new StreamAppendScript.Input(
            StreamKeys.Of(stream),
            stream.Kind == StreamKind.Room ? new RoomAudience(RoomMembersKey(stream.Id), RoomOnlineMembersKey(stream.Id)) : null,
            id, message.From, message.Payload, now, policy.MaxLength, policy.MaxAge, NewEpoch(),
            message.IdempotencyKey is { } key ? new($"{message.From}:{key}", message.RequestHash, IdempotencyWindow) : null,
            message.SenderMustBeMember ? message.From ?? "" : null));

        return reply switch
        {
            StreamAppendScript.Reply.Stored stored => new AppendOutcome(AppendStatus.Stored,
                new AppendResult(id, stored.Seq, stored.Epoch, now, Replayed: false, stored.Members, stored.Online)),
            StreamAppendScript.Reply.Replayed earlier => new AppendOutcome(AppendStatus.Replayed,
                new AppendResult(earlier.Id, earlier.Seq, null, now, Replayed: true, earlier.Members, earlier.Online)),
            StreamAppendScript.Reply.KeyReused => new AppendOutcome(AppendStatus.IdempotencyKeyReused),
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
        var maxAge = retention.Value.For(stream.Kind).MaxAge;
        var reply = await Read.RunAsync(redis.Database, new StreamReadScript.Input(
            StreamKeys.Of(stream), after, restartAfter, maxCount, maxBytes, time.GetUtcNow() - maxAge, maxAge, NewEpoch()));
        var name = stream.ToString();
        var messages = reply.Entries
            .Select(e => new PushMessage(e.Id, name, e.Seq, reply.Epoch, e.From, e.Payload, e.SentAt))
            .ToArray();
        return new StreamPage(reply.LatestSeq, reply.OldestRetainedSeq, reply.Epoch, reply.Restarted, messages);
    }

    /// <summary>The stream's latest seq (0 when nothing was ever sent).</summary>
    public async Task<long> LatestSeqAsync(StreamName stream) => (long?)await redis.Database.StringGetAsync(StreamKeys.Of(stream).Seq) ?? 0;

    /// <summary>Removes the stream, its counter, its epoch and its idempotency records.</summary>
    public Task DeleteAsync(StreamName stream) => redis.Database.KeyDeleteAsync(StreamKeys.Of(stream).All);
}
