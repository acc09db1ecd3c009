using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushFunctions.Http;

/// <summary>
/// Reads a <see cref="JsonSlice"/>: where the value starts and ends in the body. The serializer reads a body from one
/// buffer (<see cref="JsonBody"/>), so the reader's positions are positions in that body; skipping the value still
/// checks it is well-formed JSON.
/// </summary>
public sealed class JsonSliceConverter : JsonConverter<JsonSlice>
{
    public override JsonSlice Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var start = checked((int)reader.TokenStartIndex);
        reader.Skip();
        return new JsonSlice(start, checked((int)reader.BytesConsumed) - start);
    }

    public override void Write(Utf8JsonWriter writer, JsonSlice value, JsonSerializerOptions options) =>
        throw new NotSupportedException("A JsonSlice is a place in a request body; write the bytes it points to instead.");
}
