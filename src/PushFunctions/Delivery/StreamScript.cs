using StackExchange.Redis;
using PushFunctions.Redis;

namespace PushFunctions.Delivery;

/// <summary>The keys of one stream, all under its hash tag.</summary>
public sealed record StreamKeys(RedisKey Stream, RedisKey Seq, RedisKey Epoch, RedisKey Idempotency, RedisKey IdempotencyOrder);

/// <summary>What an append asks for besides the keys (see stream.lua's 'append' inputs).</summary>
public sealed record AppendArgs(
    string Id, string From, string Payload, long NowMs, long MaxLength, long MaxAgeMs,
    long IdempotencyTtlSeconds, string RequestHash, bool IsRoom, string RequiredMember, string IdempotencyField);

/// <summary>What stream.lua's 'append' answered.</summary>
public abstract record AppendReply
{
    public sealed record Stored(long Seq, string Epoch, long Members, long Online) : AppendReply;

    /// <summary>An earlier request with the same idempotency key stored this.</summary>
    public sealed record Earlier(string Id, long Seq, string RequestHash, long Members, long Online) : AppendReply;

    public sealed record NotAMember : AppendReply;
}

/// <summary>An entry as stored: the fields stream.lua writes.</summary>
public sealed record StoredEntry(long Seq, string Id, string? From, long SentAtMs, string Payload);

/// <summary>
/// What stream.lua's 'read' answered. <see cref="Restarted"/>: the cursor was from another epoch, ahead of the
/// counter, or its seq holds another message now, so the entries start over from the restart point instead.
/// </summary>
public sealed record ReadReply(long LatestSeq, long OldestRetainedSeq, string Epoch, bool Restarted, IReadOnlyList<StoredEntry> Entries);

/// <summary>The one typed wrapper of stream.lua: named arguments in, typed replies out.</summary>
public sealed class StreamScript
{
    private static readonly RedisScript Script = RedisScript.Load<StreamScript>("stream.lua");

    /// <param name="newEpoch">used only if the stream's counter does not exist yet</param>
    /// <param name="members">a room's member set and online-member set (any keys of the stream otherwise)</param>
    public async Task<AppendReply> AppendAsync(IDatabaseAsync database, StreamKeys keys, string newEpoch,
        (RedisKey All, RedisKey Online) members, AppendArgs args)
    {
        var result = (RedisResult[])(await Script.RunAsync(database,
            [keys.Stream, keys.Seq, keys.Epoch, keys.Idempotency, members.All, members.Online, keys.IdempotencyOrder],
            [
                "append", newEpoch, args.Id, args.From, args.Payload, args.NowMs, args.MaxLength, args.MaxAgeMs,
                args.IdempotencyTtlSeconds, args.RequestHash, args.IsRoom ? "1" : "0", args.RequiredMember, args.IdempotencyField,
            ]))!;
        switch ((long)result[0])
        {
            case 1:
                return new AppendReply.Stored((long)result[1], (string)result[2]!, (long)result[3], (long)result[4]);
            case -1:
                return new AppendReply.NotAMember();
        }
        // The idempotency record: id|seq|hash|members|online|made at.
        var previous = ((string)result[1]!).Split('|');
        return new AppendReply.Earlier(previous[0], long.Parse(previous[1]), previous[2], long.Parse(previous[3]), long.Parse(previous[4]));
    }

    /// <param name="cursorEpoch">the epoch the cursor was taken in, or null when not known</param>
    /// <param name="cursorId">the id of the message at the cursor's seq, or null when not known</param>
    /// <param name="restartAfter">where to start when the cursor is from another epoch or ahead of the stream</param>
    public async Task<ReadReply> ReadAsync(IDatabaseAsync database, StreamKeys keys, string newEpoch,
        long afterSeq, int maxCount, long maxBytes, long cutoffMs, long lifetimeMs, string? cursorEpoch, string? cursorId, long restartAfter)
    {
        var result = (RedisResult[])(await Script.RunAsync(database,
            [keys.Stream, keys.Seq, keys.Epoch],
            ["read", newEpoch, afterSeq, maxCount, cutoffMs, cursorEpoch ?? "", restartAfter, cursorId ?? "", maxBytes, lifetimeMs]))!;
        var entries = (RedisResult[])result[4]!;
        var decoded = new StoredEntry[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = (RedisResult[])entries[i]!;
            var entryId = (string)entry[0]!;
            // Fields in the order stream.lua writes them: id, from, t, p.
            var fields = (RedisValue[])entry[1]!;
            var from = (string?)fields[3];
            decoded[i] = new StoredEntry(
                long.Parse(entryId.AsSpan(0, entryId.IndexOf('-'))),
                (string)fields[1]!,
                string.IsNullOrEmpty(from) ? null : from,
                (long)fields[5],
                (string)fields[7]!);
        }
        return new ReadReply((long)result[0], (long)result[1], (string)result[2]!, (long)result[3] == 1, decoded);
    }
}
