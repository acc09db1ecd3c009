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
        var sent = await publisher.PublishAsync(stream, SendValidation.ToNewMessage(stream, request, idempotencyKey, request?.From));
        return TypedResults.Accepted((string?)null, new SendAccepted(sent.Id, stream.ToString(), sent.Seq));
    }

    private static async Task<Accepted<SendAccepted>> Broadcast(
        SendRequest? request, [FromHeader(Name = SendValidation.IdempotencyHeader)] string? idempotencyKey, Publisher publisher)
    {
        var stream = StreamName.Broadcast;
        var sent = await publisher.PublishAsync(stream, SendValidation.ToNewMessage(stream, request, idempotencyKey, request?.From));
        return TypedResults.Accepted((string?)null, new SendAccepted(sent.Id, stream.ToString(), sent.Seq));
    }

    private static async Task<Ok<SyncResponse>> Sync(SyncRequest? request, PushUser user, SyncService sync) =>
        TypedResults.Ok(await sync.SyncAsync(user, request?.Cursors ?? []));
}
