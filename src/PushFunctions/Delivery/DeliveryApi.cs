using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PushFunctions.Http;
using PushFunctions.Security;

namespace PushFunctions.Delivery;

/// <summary>Private messages, broadcasts, and recovery by sync.</summary>
public static class DeliveryApi
{
    public static IEndpointRouteBuilder MapDelivery(this IEndpointRouteBuilder app)
    {
        var server = app.MapGroup("/api").RequireAuthorization(Credentials.Server);
        server.MapPost("/users/{userId}/messages", SendToUser);
        server.MapPost("/broadcast", Broadcast);

        app.MapGroup("/api").RequireAuthorization(Credentials.Session)
            .MapPost("/sync", Sync);
        return app;
    }

    private static async Task<Results<Accepted<SendAccepted>, ProblemHttpResult>> SendToUser(
        string userId, SendRequest? request, [FromHeader(Name = SendValidation.IdempotencyHeader)] string? idempotencyKey, Publisher publisher)
    {
        if (Problems.InvalidId("userId", userId) is { } invalid) return invalid;
        var stream = StreamName.ForUser(userId);
        var outcome = await publisher.PublishAsync(stream, SendValidation.ToNewMessage(stream, request, idempotencyKey, request?.From));
        if (SendValidation.Refusal(outcome, stream) is { } refused) return refused;
        return TypedResults.Accepted((string?)null, new SendAccepted(outcome.Message!.Id, stream.ToString(), outcome.Message.Seq));
    }

    private static async Task<Results<Accepted<SendAccepted>, ProblemHttpResult>> Broadcast(
        SendRequest? request, [FromHeader(Name = SendValidation.IdempotencyHeader)] string? idempotencyKey, Publisher publisher)
    {
        var stream = StreamName.Broadcast;
        var outcome = await publisher.PublishAsync(stream, SendValidation.ToNewMessage(stream, request, idempotencyKey, request?.From));
        if (SendValidation.Refusal(outcome, stream) is { } refused) return refused;
        return TypedResults.Accepted((string?)null, new SendAccepted(outcome.Message!.Id, stream.ToString(), outcome.Message.Seq));
    }

    private static async Task<Results<Ok<SyncResponse>, ProblemHttpResult>> Sync(SyncRequest? request, PushUser user, SyncService sync) =>
        await sync.SyncAsync(user, request?.Cursors ?? []) switch
        {
            { Status: SyncStatus.Synced, Response: { } response } => TypedResults.Ok(response),
            { Status: SyncStatus.NotReadable, Stream: var stream } => Problems.Forbidden(
                $"You may not read stream '{stream}': only your own user stream, broadcast and rooms you are a member of."),
            { Status: SyncStatus.NegativeCursor, Stream: var stream } => Problems.BadRequest($"The cursor for '{stream}' must be 0 or more."),
            { Stream: var stream } => Problems.BadRequest(
                $"'{SyncCursorsJsonConverter.Truncate(stream!)}' is not a stream name: use 'user:<userId>', 'broadcast' or 'room:<roomId>'."),
        };
}
