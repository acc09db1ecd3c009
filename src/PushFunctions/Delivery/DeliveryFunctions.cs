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
        var sent = await publisher.PublishAsync(stream, message);
        return TypedResults.Accepted((string?)null, new SendAccepted(sent.Id, stream.ToString(), sent.Seq));
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
        var sent = await publisher.PublishAsync(stream, message);
        return TypedResults.Accepted((string?)null, new SendAccepted(sent.Id, stream.ToString(), sent.Seq));
    }

    [Function("sync")]
    [Accepts(Credential.Session)]
    public async Task<Results<Ok<SyncResponse>, ProblemHttpResult>> Sync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "sync")] HttpRequest request, FunctionContext context)
    {
        var body = await JsonBody.ReadAsync<SyncRequest>(request);
        if (body.Problem is { } malformed) return malformed;
        return TypedResults.Ok(await sync.SyncAsync(context.GetUser(), body.Value?.Cursors ?? []));
    }

    internal static string? IdempotencyKeyOf(HttpRequest request) =>
        request.Headers.TryGetValue(SendValidation.IdempotencyHeader, out var key) ? key.ToString() : null;

    internal static ProblemHttpResult Refused(ValidatedSend send) => send.Rejection == SendRejection.PayloadTooLarge
        ? Problems.TooLarge(send.Problem!)
        : Problems.BadRequest(send.Problem!);
}
