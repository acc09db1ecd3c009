using Microsoft.AspNetCore.Http.HttpResults;
using PushFunctions.Http;

namespace PushFunctions.Delivery;

/// <summary>The answers to a send that was not stored, alike for every route that sends (users, broadcast, rooms).</summary>
public static class SendRefusals
{
    /// <summary>A send that did not pass <see cref="SendValidation"/>: 413 for a payload too large, 400 otherwise.</summary>
    public static ProblemHttpResult Of(ValidatedSend send) => send.Rejection == SendRejection.PayloadTooLarge
        ? Problems.TooLarge(send.Problem!)
        : Problems.BadRequest(send.Problem!);

    /// <summary>A send the store refused; null when it was stored (or replayed).</summary>
    public static ProblemHttpResult? Of(AppendOutcome outcome, StreamName stream) => outcome.Status switch
    {
        AppendStatus.SenderNotMember => Problems.Forbidden($"You are not a member of room '{stream.Id}': join it first."),
        AppendStatus.IdempotencyKeyReused => Problems.Unprocessable(
            "This Idempotency-Key was already used for a different request in the last 24 hours; use a new key."),
        _ => null,
    };
}
