using StackExchange.Redis;
using PushFunctions.Redis;

namespace PushFunctions.Delivery;

/// <summary>stream_read.lua: a page of a stream after a cursor, and where the stream stands.</summary>
public sealed class StreamReadScript() : RedisScript<StreamReadScript.Input, StreamReadScript.Reply>("stream_functions.lua", "stream_read.lua")
{
    /// <param name="After">The cursor: its seq, and its epoch and the id at that seq when known.</param>
    /// <param name="RestartAfter">Where the page starts when the cursor is from another epoch or ahead of the stream.</param>
    /// <param name="MaxBytes">Payload bytes the page may hold; it holds at least one message whatever its size.</param>
    /// <param name="Cutoff">Entries sent before it are expired.</param>
    /// <param name="Lifetime">Retention's max age: how long a counter this read makes lives.</param>
    /// <param name="NewEpoch">Used only if the stream's counter does not exist yet.</param>
    public sealed record Input(
        StreamKeys Keys, StreamPosition After, long RestartAfter, int MaxCount, long MaxBytes, DateTimeOffset Cutoff, TimeSpan Lifetime, string NewEpoch);

    /// <summary>
    /// What the script answered. <see cref="Restarted"/>: the cursor was from another epoch, ahead of the counter,
    /// or its seq holds another message now, so the entries start over from the restart point instead.
    /// </summary>
    public sealed record Reply(long LatestSeq, long OldestRetainedSeq, string Epoch, bool Restarted, IReadOnlyList<Entry> Entries);

    /// <summary>An entry as stored: the fields stream_append.lua writes.</summary>
    public sealed record Entry(long Seq, string Id, string? From, DateTimeOffset SentAt, ReadOnlyMemory<byte> Payload);

    protected override RedisKey[] Keys(Input input) => [input.Keys.Stream, input.Keys.Seq, input.Keys.Epoch];

    protected override RedisValue[] Arguments(Input input) =>
    [
        input.After.Seq, input.After.Epoch ?? "", input.After.Id ?? "", input.RestartAfter, input.MaxCount, input.MaxBytes,
        input.Cutoff.ToUnixTimeMilliseconds(), input.NewEpoch, (long)input.Lifetime.TotalMilliseconds,
    ];

    protected override Reply Read(RedisResult reply)
    {
        var fields = new ScriptMap(reply);
        var entries = (RedisResult[])fields["entries"u8]!;
        return new Reply((long)fields["latest"u8], (long)fields["oldest"u8], (string)fields["epoch"u8]!, (long)fields["restarted"u8] == 1,
            Array.ConvertAll(entries, ReadEntry));
    }

    /// <summary>An XRANGE entry: its id (<c>{seq}-0</c>) and its fields as name, value pairs.</summary>
    private static Entry ReadEntry(RedisResult entry)
    {
        var parts = (RedisResult[])entry!;
        var entryId = (string)parts[0]!;
        var fields = (RedisResult[])parts[1]!;
        var id = "";
        ReadOnlyMemory<byte> payload = default;
        string? from = null;
        long sentAt = 0;
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            var value = fields[i + 1];
            switch ((string?)fields[i])
            {
                case "id": id = (string)value!; break;
                case "from": from = (string?)value; break;
                case "t": sentAt = (long)value; break;
                case "p": payload = (byte[])value!; break;
            }
        }
        return new Entry(long.Parse(entryId.AsSpan(0, entryId.IndexOf('-'))), id, string.IsNullOrEmpty(from) ? null : from,
            DateTimeOffset.FromUnixTimeMilliseconds(sentAt), payload);
    }
}
