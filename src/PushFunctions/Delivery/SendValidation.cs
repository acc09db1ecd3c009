using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PushFunctions.Http;

namespace PushFunctions.Delivery;

/// <summary>Checks a send against API.md's limits and turns it into a <see cref="NewMessage"/>.</summary>
public static class SendValidation
{
    public const int MaxPayloadBytes = 64 * 1024;
    public const int MaxIdempotencyKeyLength = 128;
    public const string IdempotencyHeader = "Idempotency-Key";

    /// <summary>The send's <see cref="IdempotencyHeader"/>, or null without one.</summary>
    public static string? IdempotencyKeyOf(HttpRequest request) =>
        request.Headers.TryGetValue(IdempotencyHeader, out var key) ? key.ToString() : null;

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
