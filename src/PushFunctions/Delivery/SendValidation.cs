using System.Buffers;
using System.Security.Cryptography;
using System.Text;
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

    /// <param name="body">The send's body as read; its payload is kept as the bytes the sender wrote.</param>
    public static ValidatedSend Validate(StreamName stream, Body<SendRequest> body, string? idempotencyKey, string? from, bool senderMustBeMember = false)
    {
        if (body.Value is not { Payload.IsMissing: false } request)
            return ValidatedSend.Invalid(SendRejection.Malformed, "The body must be a JSON object with a 'payload' (any JSON value).");
        if (from is not null && !Ids.IsValid(from))
            return ValidatedSend.Invalid(SendRejection.Malformed, $"'from' must be {Ids.Rule}.");
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength || idempotencyKey.Any(char.IsControl)))
            return ValidatedSend.Invalid(SendRejection.Malformed,
                $"The {IdempotencyHeader} header must be 1 to {MaxIdempotencyKeyLength} printable characters.");

        var payload = body.Of(request.Payload);
        if (payload.Length > MaxPayloadBytes)
            return ValidatedSend.Invalid(SendRejection.PayloadTooLarge,
                $"The payload is {payload.Length} bytes; the limit is {MaxPayloadBytes} bytes (64 KiB). Send a reference to large data instead.");

        // The hash is stored with an idempotency key only; without a key nothing reads it.
        var requestHash = idempotencyKey is null ? "" : RequestHash(stream, from, payload.Span);
        return new ValidatedSend(new NewMessage(from, payload, idempotencyKey, requestHash, senderMustBeMember));
    }

    /// <summary>
    /// Identifies the request behind an idempotency key, so a key reused for another request is caught: SHA-256 of
    /// <c>{stream}\n{from}\n{payload}</c> in UTF-8, its first 16 bytes in hex.
    /// </summary>
    private static string RequestHash(StreamName stream, string? from, ReadOnlySpan<byte> payload)
    {
        var name = stream.ToString();
        var length = Encoding.UTF8.GetMaxByteCount(name.Length + (from?.Length ?? 0) + 2) + payload.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(name, buffer);
            buffer[written++] = (byte)'\n';
            written += Encoding.UTF8.GetBytes(from ?? "", buffer.AsSpan(written));
            buffer[written++] = (byte)'\n';
            payload.CopyTo(buffer.AsSpan(written));
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer.AsSpan(0, written + payload.Length), hash);
            return Convert.ToHexString(hash[..16]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
