using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using SignalREmulator.Client;

namespace SignalREmulator.Rest;

/// <summary>
/// Reads a PayloadMessage <c>{target, arguments}</c> (names case-insensitive, spec §1.5) and turns it
/// straight into a serialized Invocation frame: one pass over the body, arguments copied raw.
/// </summary>
public static class PayloadReader
{
    public const int MaxBodySize = 1024 * 1024;

    public readonly record struct Result(byte[]? Frame, IResult? Error);

    public static async Task<Result> ReadInvocationAsync(HttpRequest request)
    {
        if (request.ContentLength > MaxBodySize) return TooLarge();
        var contentType = request.ContentType;
        if (!string.IsNullOrEmpty(contentType) && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return new(null, ErrorResults.Status(StatusCodes.Status415UnsupportedMediaType, "Error.UnsupportedMediaType", "Only JSON payloads are supported."));
        }

        var reader = request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync();
            if (read.Buffer.Length > MaxBodySize)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                return TooLarge();
            }
            if (read.IsCompleted) break;
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        try
        {
            return Parse(read.Buffer);
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }
    }

    internal static Result Parse(ReadOnlySequence<byte> body)
    {
        if (body.IsEmpty) return Bad("A message body is required.");
        var bytes = body.IsSingleSegment ? body.First : body.ToArray();
        try
        {
            var json = new Utf8JsonReader(bytes.Span);
            if (!json.Read() || json.TokenType != JsonTokenType.StartObject) return Bad("The body must be a JSON object.");
            string? target = null;
            var arguments = ReadOnlyMemory<byte>.Empty;
            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                var name = json.GetString();
                json.Read();
                if (string.Equals(name, "target", StringComparison.OrdinalIgnoreCase))
                {
                    if (json.TokenType != JsonTokenType.String) return Bad("'target' must be a string.");
                    target = json.GetString();
                }
                else if (string.Equals(name, "arguments", StringComparison.OrdinalIgnoreCase))
                {
                    if (json.TokenType == JsonTokenType.Null) continue;
                    if (json.TokenType != JsonTokenType.StartArray) return Bad("'arguments' must be an array.");
                    var start = (int)json.TokenStartIndex;
                    json.Skip();
                    arguments = bytes[start..(int)json.BytesConsumed];
                }
                else
                {
                    json.Skip();
                }
            }
            if (string.IsNullOrWhiteSpace(target)) return Bad("'target' is required.");
            return new(HubFrames.Invocation(target, arguments.Span), null);
        }
        catch (JsonException e)
        {
            return Bad("The body is not valid JSON: " + e.Message);
        }
    }

    private static Result Bad(string message) => new(null, ErrorResults.BadRequest(message));

    private static Result TooLarge() =>
        new(null, ErrorResults.Status(StatusCodes.Status413PayloadTooLarge, "Error.PayloadTooLarge", $"The body exceeds {MaxBodySize} bytes."));
}
