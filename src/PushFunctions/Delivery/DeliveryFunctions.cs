using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using PushFunctions.Http;
using PushFunctions.Security;

namespace PushFunctions.Delivery;

/// <summary>Private messages, broadcasts, and recovery by sync.</summary>
public sealed class DeliveryFunctions(Publisher publisher, SyncService sync)
{
    [Function("sendToUser")]
    [Accepts(Credential.Server)]
    public async Task<Results<Accepted<SendAccepted>, ProblemHttpResult>> SendToUser(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "users/{userId}/messages")] HttpRequest request, string userId)
    {
        if (Problems.InvalidId("userId", userId) is { } invalid) return invalid;
        var body = await JsonBody.ReadAsync<SendRequest>(request);
        if (body.Problem is { } malformed) return malformed;

        var stream = StreamName.ForUser(userId);
        var send = SendValidation.Validate(stream, body.Value, IdempotencyKeyOf(request), body.Value?.From);
        if (send.Message is not { } message) return Refused(send);
        return Accepted(stream, await publisher.PublishAsync(stream, message));
    }

    [Function("broadcast")]
    [Accepts(Credential.Server)]
    public async Task<Results<Accepted<SendAccepted>, ProblemHttpResult>> Broadcast(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "broadcast")] HttpRequest request)
    {
        var body = await JsonBody.ReadAsync<SendRequest>(request);
        if (body.Problem is { } malformed) return malformed;

        var stream = StreamName.Broadcast;
        var send = SendValidation.Validate(stream, body.Value, IdempotencyKeyOf(request), body.Value?.From);
        if (send.Message is not { } message) return Refused(send);
        return Accepted(stream, await publisher.PublishAsync(stream, message));
    }

    [Function("sync")]
    [Accepts(Credential.Session)]
    public async Task<Results<Ok<SyncResponse>, ProblemHttpResult>> Sync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "sync")] HttpRequest request, FunctionContext context)
    {
        var body = await JsonBody.ReadAsync<SyncRequest>(request);
        if (body.Problem is { } malformed) return malformed;
        return await sync.SyncAsync(context.GetUser(), body.Value?.Cursors ?? []) switch
        {
            { Status: SyncStatus.Synced, Response: { } response } => TypedResults.Ok(response),
            { Status: SyncStatus.NotReadable, Stream: var stream } => Problems.Forbidden(
                $"You may not read stream '{stream}': only your own user stream, broadcast and rooms you are a member of."),
            { Status: SyncStatus.NegativeCursor, Stream: var stream } => Problems.BadRequest($"The cursor for '{stream}' must be 0 or more."),
            { Stream: var stream } => Problems.BadRequest(
                $"'{SyncCursorsJsonConverter.Truncate(stream!)}' is not a stream name: use 'user:<userId>', 'broadcast' or 'room:<roomId>'."),
        };
    }

    private static Results<Accepted<SendAccepted>, ProblemHttpResult> Accepted(StreamName stream, AppendOutcome outcome) =>
        Refused(outcome, stream) ?? (Results<Accepted<SendAccepted>, ProblemHttpResult>)
            TypedResults.Accepted((string?)null, new SendAccepted(outcome.Message!.Id, stream.ToString(), outcome.Message.Seq));

    /// <summary>The answer to a send the store refused; null when it was stored (or replayed).</summary>
    internal static ProblemHttpResult? Refused(AppendOutcome outcome, StreamName stream) => outcome.Status switch
    {
        AppendStatus.SenderNotMember => Problems.Forbidden($"You are not a member of room '{stream.Id}': join it first."),
        AppendStatus.IdempotencyKeyReused => Problems.Unprocessable(
            "This Idempotency-Key was already used for a different request in the last 24 hours; use a new key."),
        _ => null,
    };

    internal static string? IdempotencyKeyOf(HttpRequest request) =>
        request.Headers.TryGetValue(SendValidation.IdempotencyHeader, out var key) ? key.ToString() : null;

    internal static ProblemHttpResult Refused(ValidatedSend send) => send.Rejection == SendRejection.PayloadTooLarge
        ? Problems.TooLarge(send.Problem!)
        : Problems.BadRequest(send.Problem!);
}
