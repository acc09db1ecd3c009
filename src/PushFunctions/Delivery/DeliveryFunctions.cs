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
    public async Task<Results<AcceptedJson<SendAccepted>, ProblemHttpResult>> SendToUser(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "users/{userId}/messages")] HttpRequest request, string userId)
    {
        if (Problems.InvalidId("userId", userId) is { } invalid) return invalid;
        var body = await JsonBody.ReadAsync<SendRequest>(request);
        if (body.Problem is { } malformed) return malformed;

        var stream = StreamName.ForUser(userId);
        var send = SendValidation.Validate(stream, body, SendValidation.IdempotencyKeyOf(request), body.Value?.From);
        if (send.Message is not { } message) return SendRefusals.Of(send);
        return Accepted(stream, await publisher.PublishAsync(stream, message));
    }

    [Function("broadcast")]
    [Accepts(Credential.Server)]
    public async Task<Results<AcceptedJson<SendAccepted>, ProblemHttpResult>> Broadcast(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "broadcast")] HttpRequest request)
    {
        var body = await JsonBody.ReadAsync<SendRequest>(request);
        if (body.Problem is { } malformed) return malformed;

        var stream = StreamName.Broadcast;
        var send = SendValidation.Validate(stream, body, SendValidation.IdempotencyKeyOf(request), body.Value?.From);
        if (send.Message is not { } message) return SendRefusals.Of(send);
        return Accepted(stream, await publisher.PublishAsync(stream, message));
    }

    [Function("sync")]
    [Accepts(Credential.Session)]
    public async Task<Results<Ok<SyncResponse>, ProblemHttpResult>> Sync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "sync")] HttpRequest request, FunctionContext context)
    {
        var body = await JsonBody.ReadAsync<SyncRequest>(request);
        if (body.Problem is { } malformed) return malformed;
        return await sync.SyncAsync(context.GetUser(), body.Value?.Cursors ?? [], request.HttpContext.RequestAborted) switch
        {
            { Status: SyncStatus.Synced, Response: { } response } => TypedResults.Ok(response),
            { Status: SyncStatus.TooManyWaiting } => Problems.TooManyRequests(request.HttpContext.Response,
                $"More than {SyncGate.InFlight} of this session's syncs are running and too many more are waiting: wait for their answers, then sync again.",
                RateLimits.ShortestWait),
            { Status: SyncStatus.NotReadable, Stream: var stream } => Problems.Forbidden(
                $"You may not read stream '{stream}': only your own user stream, broadcast and rooms you are a member of."),
            { Status: SyncStatus.NegativeCursor, Stream: var stream } => Problems.BadRequest($"The cursor for '{stream}' must be 0 or more."),
            { Stream: var stream } => Problems.BadRequest(
                $"'{SyncCursorsJsonConverter.Truncate(stream!)}' is not a stream name: use 'user:<userId>', 'broadcast' or 'room:<roomId>'."),
        };
    }

    private static Results<AcceptedJson<SendAccepted>, ProblemHttpResult> Accepted(StreamName stream, AppendOutcome outcome) =>
        SendRefusals.Of(outcome, stream) ?? (Results<AcceptedJson<SendAccepted>, ProblemHttpResult>)
            new AcceptedJson<SendAccepted>(new SendAccepted(outcome.Message!.Id, stream.ToString(), outcome.Message.Seq));
}
