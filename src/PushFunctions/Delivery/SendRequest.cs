using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PushFunctions.Http;

namespace PushFunctions.Delivery;

/// <summary>The body of every send: <c>{payload, from?}</c>.</summary>
public sealed record SendRequest(JsonElement Payload, string? From);

/// <summary>The reply to an accepted send.</summary>
public sealed record SendAccepted(string Id, string Stream, long Seq);

/// <summary>Checks a send against API.md's limits and turns it into a <see cref="NewMessage"/>.</summary>
public static class SendValidation
{
    public const int MaxPayloadBytes = 64 * 1024;
    public const int MaxIdempotencyKeyLength = 128;
    public const string IdempotencyHeader = "Idempotency-Key";

    public static NewMessage ToNewMessage(StreamName stream, SendRequest? request, string? idempotencyKey, string? from, bool senderMustBeMember = false)
    {
        if (request is null || request.Payload.ValueKind == JsonValueKind.Undefined)
            throw new InvalidRequestException(StatusCodes.Status400BadRequest, "The body must be a JSON object with a 'payload' (any JSON value).");
        if (from is not null && !Ids.IsValid(from))
            throw new InvalidRequestException(StatusCodes.Status400BadRequest, $"'from' must be {Ids.Rule}.");
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength || idempotencyKey.Any(char.IsControl)))
            throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                $"The {IdempotencyHeader} header must be 1 to {MaxIdempotencyKeyLength} printable characters.");

        var payload = request.Payload.GetRawText();
        var size = Encoding.UTF8.GetByteCount(payload);
        if (size > MaxPayloadBytes)
            throw new InvalidRequestException(StatusCodes.Status413PayloadTooLarge,
                $"The payload is {size} bytes; the limit is {MaxPayloadBytes} bytes (64 KiB). Send a reference to large data instead.");

        // The hash is stored with an idempotency key only; without a key nothing reads it.
        var requestHash = idempotencyKey is null ? "" : RequestHash(stream, from, payload);
        return new NewMessage(from, payload, idempotencyKey, requestHash, senderMustBeMember);
    }

    /// <summary>The answer to a send the store refused (same titles as before outcomes existed); null when it was accepted.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Refusal(AppendOutcome outcome, StreamName stream) => outcome.Status switch
    {
        AppendStatus.SenderNotMember => Problems.Forbidden($"You are not a member of room '{stream.Id}': join it first."),
        AppendStatus.IdempotencyKeyReused => Problems.Conflict(
            "This Idempotency-Key was already used for a different request in the last 24 hours; use a new key."),
        _ => null,
    };

    /// <summary>Identifies the request behind an idempotency key, so a key reused for another request is caught.</summary>
    private static string RequestHash(StreamName stream, string? from, string payload) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{stream}\n{from}\n{payload}")), 0, 16);
}
