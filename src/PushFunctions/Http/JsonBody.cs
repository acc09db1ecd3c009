using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace PushFunctions.Http;

/// <summary>
/// Reads request bodies the one way every function does: bounded, valid UTF-8, JSON of the expected shape.
/// Every body here is JSON: one sent without a Content-Type, or with curl's default form type, is read as
/// JSON rather than refused (no function takes forms); any other type is 415.
/// </summary>
public static class JsonBody
{
    /// <summary>camelCase, and "5" is not a number: a cursor or ttl sent as a string is a client bug worth a 400.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    public static async Task<Body<T>> ReadAsync<T>(HttpRequest request)
    {
        if (!IsJson(request.ContentType))
            return new(default, Problems.Result(StatusCodes.Status415UnsupportedMediaType, "Send the body as JSON (Content-Type: application/json)."));

        var bytes = await ReadBoundedAsync(request);
        if (bytes is null) return new(default, Problems.TooLarge($"The request body is over {RequestSizeMiddleware.MaxBodyBytes} bytes."));
        if (bytes.Length == 0) return new(default, null);
        // The parser would pass invalid UTF-8 inside strings through to Redis and the live push; refuse it here.
        if (!Utf8.IsValid(bytes)) return new(default, Problems.BadRequest("The body is not valid UTF-8: send JSON encoded as UTF-8."));
        try
        {
            // From the one buffer: a JsonSlice in the value is a place in these bytes.
            return new(JsonSerializer.Deserialize<T>(bytes, Options), null, bytes);
        }
        catch (JsonException e)
        {
            return new(default, Problems.BadRequest($"The body is not valid JSON of the expected shape: {e.Message}"));
        }
    }

    private static bool IsJson(string? contentType) =>
        contentType is null
        || contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
        || contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
        || contentType.Split(';')[0].Trim().EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    /// <returns>The body, or null when it is over <see cref="RequestSizeMiddleware.MaxBodyBytes"/> (a chunked body has no length to check first).</returns>
    private static async Task<byte[]?> ReadBoundedAsync(HttpRequest request)
    {
        var aborted = request.HttpContext.RequestAborted;
        if (request.ContentLength is { } length)
        {
            // The usual case: read straight into a buffer of the announced size (the guard refused larger ones).
            if (length > RequestSizeMiddleware.MaxBodyBytes) return null;
            var body = new byte[length];
            await request.Body.ReadExactlyAsync(body, aborted);
            return body;
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, aborted)) > 0)
            {
                if (buffer.Length + read > RequestSizeMiddleware.MaxBodyBytes) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.ToArray();
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.Strict };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
