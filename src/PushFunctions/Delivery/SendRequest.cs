using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PushFunctions.Http;

namespace PushFunctions.Delivery;

/// <summary>The body of every send: <c>{payload, from?}</c>.</summary>
public sealed record SendRequest(JsonElement Payload, string? From);

/// <summary>The reply to an accepted send.</summary>
public sealed record SendAccepted(string Id, string Stream, long Seq);

/// <summary>Why a send was refused before anything was stored.</summary>
public enum SendRejection { None, Malformed, PayloadTooLarge }

/// <summary>A send that passed the checks (<see cref="Message"/>), or why not, with a sentence that says what to fix.</summary>
public sealed record ValidatedSend(NewMessage? Message, SendRejection Rejection = SendRejection.None, string? Problem = null)
{
    public static ValidatedSend Invalid(SendRejection rejection, string problem) => new(null, rejection, problem);
}

/// <summary>Checks a send against API.md's limits and turns it into a <see cref="NewMessage"/>.</summary>
public static class SendValidation
{
    public const int MaxPayloadBytes = 64 * 1024;
    public const int MaxIdempotencyKeyLength = 128;
    public const string IdempotencyHeader = "Idempotency-Key";

    public static ValidatedSend Validate(StreamName stream, SendRequest? request, string? idempotencyKey, string? from, bool senderMustBeMember = false)
    {
        if (request is null || request.Payload.ValueKind == JsonValueKind.Undefined)
            return ValidatedSend.Invalid(SendRejection.Malformed, "The body must be a JSON object with a 'payload' (any JSON value).");
        if (from is not null && !Ids.IsValid(from))
            return ValidatedSend.Invalid(SendRejection.Malformed, $"'from' must be {Ids.Rule}.");
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength || idempotencyKey.Any(char.IsControl)))
            return ValidatedSend.Invalid(SendRejection.Malformed,
                $"The {IdempotencyHeader} header must be 1 to {MaxIdempotencyKeyLength} printable characters.");

        var payload = request.Payload.GetRawText();
        var size = Encoding.UTF8.GetByteCount(payload);
        if (size > MaxPayloadBytes)
            return ValidatedSend.Invalid(SendRejection.PayloadTooLarge,
                $"The payload is {size} bytes; the limit is {MaxPayloadBytes} bytes (64 KiB). Send a reference to large data instead.");

        // The hash is stored with an idempotency key only; without a key nothing reads it.
        var requestHash = idempotencyKey is null ? "" : RequestHash(stream, from, payload);
        return new ValidatedSend(new NewMessage(from, payload, idempotencyKey, requestHash, senderMustBeMember));
    }

    /// <summary>Identifies the request behind an idempotency key, so a key reused for another request is caught.</summary>
    private static string RequestHash(StreamName stream, string? from, string payload) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{stream}\n{from}\n{payload}")), 0, 16);
}
