using Microsoft.Extensions.Options;
using PushFunctions.Configuration;
using PushFunctions.Redis;

namespace PushFunctions.Delivery;

/// <summary>
/// The delivery streams in Redis (<see cref="StreamKeys"/>): appends and reads, each one script.
/// </summary>
public sealed class StreamStore(RedisConnection redis, IRoomAudiences rooms, IOptions<RetentionOptions> retention, TimeProvider time)
{
    private static readonly StreamAppendScript Append = new();
    private static readonly StreamReadScript Read = new();
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);

    public async Task<AppendOutcome> AppendAsync(StreamName stream, NewMessage message)
    {
        var policy = retention.Value.For(stream.Kind);
        var now = time.GetUtcNow();
        var id = RandomIds.NewMessageId(now);
        var reply = await Append.RunAsync(redis.Database, new StreamAppendScript.Input(
            StreamKeys.Of(stream),
            stream.Kind == StreamKind.Room ? rooms.Of(stream.Id) : null,
            id, message.From, message.Payload, now, policy.MaxLength, policy.MaxAge, RandomIds.NewEpoch(),
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
            StreamKeys.Of(stream), after, restartAfter, maxCount, maxBytes, time.GetUtcNow() - maxAge, maxAge, RandomIds.NewEpoch()));
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
