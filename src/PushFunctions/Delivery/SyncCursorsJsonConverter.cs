using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushFunctions.Delivery;

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
