using Microsoft.Extensions.Options;
using System.Text.Json;
using System.Text.Json.Serialization;
using PushFunctions.Configuration;
using PushFunctions.Observability;
using PushFunctions.Security;

namespace PushFunctions.Delivery;

/// <summary>
/// The body of <c>POST /api/sync</c>: a cursor per stream, <c>17</c> or <c>{"seq": 17, "epoch": "…", "id": "…"}</c> (the id
/// of the message at that seq, optional).
/// </summary>
public sealed record SyncRequest(
    [property: JsonConverter(typeof(SyncCursorsJsonConverter))] Dictionary<string, StreamPosition>? Cursors);

public sealed record StreamSync(IReadOnlyList<PushMessage> Messages, long LatestSeq, string Epoch, bool Recovered, bool More);

public sealed record SyncResponse(Dictionary<string, StreamSync> Streams);

public enum SyncStatus
{
    Synced,
    /// <summary><see cref="SyncOutcome.Stream"/> is not a stream name.</summary>
    NotAStreamName,
    /// <summary>The user may not read <see cref="SyncOutcome.Stream"/>.</summary>
    NotReadable,
    /// <summary>The cursor for <see cref="SyncOutcome.Stream"/> is below 0.</summary>
    NegativeCursor,
}

/// <summary>A sync's outcome: the answer, or why there is none and for which stream.</summary>
public sealed record SyncOutcome(SyncStatus Status, SyncResponse? Response = null, string? Stream = null);

/// <summary>
/// Recovery: for every stream the user may read, what came after their cursor, in seq order, a page at a time.
/// A stream without a cursor from the device starts at the user's server-side cursor. A cursor from another epoch,
/// ahead of the stream, or whose seq now holds another message (Redis lost data) starts over from what the stream
/// holds now, with recovered false.
/// </summary>
public sealed class SyncService(StreamStore streams, SyncCursors cursors, IRoomMemberships rooms, IOptions<LimitsOptions> limits, PushTelemetry telemetry)
{
    public const int PageSize = 500;

    public async Task<SyncOutcome> SyncAsync(PushUser user, IReadOnlyDictionary<string, StreamPosition> requested)
    {
        var roomsTask = rooms.RoomsOfAsync(user.UserId);
        var serverCursorsTask = cursors.GetAllAsync(user.UserId);

        // Each readable stream and the seq below which the user may not read it (a room: where they joined).
        var readable = new Dictionary<string, (StreamName Name, long Floor)>(StringComparer.Ordinal)
        {
            [StreamName.ForUser(user.UserId).ToString()] = (StreamName.ForUser(user.UserId), 0),
            [StreamName.Broadcast.ToString()] = (StreamName.Broadcast, 0),
        };
        foreach (var (roomId, joinSeq) in await roomsTask)
            readable[StreamName.ForRoom(roomId).ToString()] = (StreamName.ForRoom(roomId), joinSeq);

        foreach (var (stream, cursor) in requested)
        {
            if (!StreamName.TryParse(stream, out _)) return new SyncOutcome(SyncStatus.NotAStreamName, Stream: stream);
            if (!readable.ContainsKey(stream)) return new SyncOutcome(SyncStatus.NotReadable, Stream: stream);
            if (cursor.Seq < 0) return new SyncOutcome(SyncStatus.NegativeCursor, Stream: stream);
        }

        var serverCursors = await serverCursorsTask;
        // The answer's byte budget is shared by its streams; each stream's page holds at least one message, so a
        // user in many rooms still moves forward, a page at a time (more: true).
        var streamBudget = Math.Max(1, limits.Value.SyncAnswerBytes / readable.Count);
        var results = await Task.WhenAll(readable.Select(async entry =>
        {
            var (name, floor) = entry.Value;
            var explicitCursor = requested.TryGetValue(entry.Key, out var cursor);
            var start = explicitCursor ? cursor : serverCursors.GetValueOrDefault(entry.Key);
            // Below a room's floor the cursor's id says nothing about where the user may read from.
            var after = start.Seq >= floor ? start : new StreamPosition(floor, start.Epoch);
            var page = await streams.ReadAsync(name, after, restartAfter: floor, PageSize, streamBudget);
            var from = page.Restarted ? Math.Min(floor, page.LatestSeq) : after.Seq;
            var last = page.Messages.Count > 0 ? page.Messages[^1].Seq : from;
            var recovered = !page.Restarted && (explicitCursor && cursor.Seq == 0 || from + 1 >= page.OldestRetainedSeq);
            var sync = new StreamSync(page.Messages, page.LatestSeq, page.Epoch, recovered,
                More: last < page.LatestSeq);
            // What the device already had (its cursor) or now has (this page) counts as received by the user.
            return (Sync: sync, Move: new CursorMove(entry.Key, new StreamPosition(Math.Min(last, page.LatestSeq), page.Epoch), page.LatestSeq));
        }));

        var moves = results
            .Select(r => r.Move)
            .Where(m => serverCursors.TryGetValue(m.Stream, out var at) is false
                || m.To.Seq > at.Seq || at.Seq > m.LatestSeq || at.Epoch != m.To.Epoch)
            .ToList();
        await cursors.AdvanceAsync(user.UserId, moves);
        telemetry.Synced(results.Length, results.Sum(r => (long)r.Sync.Messages.Count), results.Count(r => !r.Sync.Recovered));

        return new SyncOutcome(SyncStatus.Synced,
            new SyncResponse(results.ToDictionary(r => r.Move.Stream, r => r.Sync, StringComparer.Ordinal)));
    }
}

/// <summary>
/// Reads sync cursors: a whole number (the seq; today's form) or <c>{"seq": n, "epoch": "…", "id": "…"}</c>. Anything else,
/// numbers in strings included, is a JSON error (so a 400).
/// </summary>
public sealed class SyncCursorsJsonConverter : JsonConverter<Dictionary<string, StreamPosition>>
{
    public override Dictionary<string, StreamPosition>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("'cursors' must be an object: {\"<stream>\": seq or {seq, epoch}}.");
        var cursors = new Dictionary<string, StreamPosition>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var stream = reader.GetString()!;
            reader.Read();
            cursors[stream] = ReadCursor(ref reader, stream);
        }
        return cursors;
    }

    private static StreamPosition ReadCursor(ref Utf8JsonReader reader, string stream)
    {
        if (reader.TokenType == JsonTokenType.Number) return new StreamPosition(Seq(ref reader, stream), null);
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException($"The cursor for '{Truncate(stream)}' must be a whole number or {{\"seq\": n, \"epoch\": \"…\"}}.");
        long? seq = null;
        string? epoch = null;
        string? id = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var property = reader.GetString();
            reader.Read();
            switch (property)
            {
                case "seq":
                    if (reader.TokenType != JsonTokenType.Number) throw new JsonException($"The cursor's 'seq' for '{Truncate(stream)}' must be a whole number.");
                    seq = Seq(ref reader, stream);
                    break;
                case "epoch":
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
                        throw new JsonException($"The cursor's 'epoch' for '{Truncate(stream)}' must be a string (from a message or a sync answer).");
                    epoch = reader.GetString();
                    break;
                case "id":
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
                        throw new JsonException($"The cursor's 'id' for '{Truncate(stream)}' must be a string (the id of the message at that seq).");
                    id = reader.GetString();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        return seq is { } value
            ? new StreamPosition(value, string.IsNullOrEmpty(epoch) ? null : epoch, string.IsNullOrEmpty(id) ? null : id)
            : throw new JsonException($"The cursor for '{Truncate(stream)}' needs a 'seq'.");
    }

    private static long Seq(ref Utf8JsonReader reader, string stream) =>
        reader.TryGetInt64(out var seq) ? seq : throw new JsonException($"The cursor for '{Truncate(stream)}' must be a whole number.");

    public override void Write(Utf8JsonWriter writer, Dictionary<string, StreamPosition> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (stream, position) in value)
        {
            writer.WritePropertyName(stream);
            writer.WriteStartObject();
            writer.WriteNumber("seq", position.Seq);
            if (position.Epoch is not null) writer.WriteString("epoch", position.Epoch);
            if (position.Id is not null) writer.WriteString("id", position.Id);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    /// <summary>Stream names in titles are cut short: a title echoes input, so bound it.</summary>
    public static string Truncate(string value) => value.Length <= 140 ? value : value[..140] + "…";
}
