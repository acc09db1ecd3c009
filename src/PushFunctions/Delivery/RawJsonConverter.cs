using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushFunctions.Delivery;

/// <summary>Writes stored JSON (UTF-8) as is, so payloads are never parsed or transcoded on their way out.</summary>
public sealed class RawJsonConverter : JsonConverter<ReadOnlyMemory<byte>>
{
    public override ReadOnlyMemory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return JsonMarshal.GetRawUtf8Value(document.RootElement).ToArray();
    }

    public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Span, skipInputValidation: true);
}
