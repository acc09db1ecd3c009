using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PushFunctions.Delivery;
using PushFunctions.Http;
using PushFunctions.Security;

namespace PushFunctions.Rooms;

public sealed record RoomSendAccepted(string Id, string Stream, long Seq, long Total, long Online);

/// <summary>The live <c>room_message</c> event: a message plus the room's member counts (the old service's total/num).</summary>
public sealed record RoomMessageEvent(string Id, string Stream, long Seq, string? Epoch, string? From,
    [property: System.Text.Json.Serialization.JsonConverter(typeof(RawJsonConverter))] string Payload,
    DateTimeOffset SentAt, string RoomId, long Total, long Online);

public sealed record RoomMembers(long Total, long Online, IReadOnlyList<RoomMember> Members);

/// <summary>Room membership (by the main backend, or a user joining and leaving) and room messages.</summary>
public static class RoomsApi
{
    public static IEndpointRouteBuilder MapRooms(this IEndpointRouteBuilder app)
    {
        var server = app.MapGroup("/api/rooms/{roomId}").RequireAuthorization(Credentials.Server);
        server.MapPut("/members/{userId}", AddMember);
        server.MapDelete("/members/{userId}", RemoveMember);
        server.MapGet("/members", Members);

        var browser = app.MapGroup("/api/rooms/{roomId}").RequireAuthorization(Credentials.Session);
        browser.MapPost("/join", (string roomId, PushUser user, RoomService rooms) => AddMember(roomId, user.UserId, rooms));
        browser.MapPost("/leave", (string roomId, PushUser user, RoomService rooms) => RemoveMember(roomId, user.UserId, rooms));

        app.MapPost("/api/rooms/{roomId}/messages", Send).RequireAuthorization(Credentials.ServerOrSession);
        return app;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> AddMember(string roomId, string userId, RoomService rooms)
    {
        if (Invalid(roomId, userId) is { } problem) return problem;
        await rooms.JoinAsync(roomId, userId);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveMember(string roomId, string userId, RoomService rooms)
    {
        if (Invalid(roomId, userId) is { } problem) return problem;
        await rooms.LeaveAsync(roomId, userId);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<RoomMembers>, ProblemHttpResult>> Members(string roomId, RoomStore rooms)
    {
        if (Invalid(roomId) is { } problem) return problem;
        var members = await rooms.MembersAsync(roomId);
        return TypedResults.Ok(new RoomMembers(members.Count, members.Count(m => m.Online), members));
    }

    /// <summary>From a session: the user must be a member and is the sender. From the server: <c>from</c> is optional.</summary>
    private static async Task<Results<Accepted<RoomSendAccepted>, ProblemHttpResult>> Send(
        string roomId, SendRequest? request, [FromHeader(Name = SendValidation.IdempotencyHeader)] string? idempotencyKey,
        Caller caller, Publisher publisher)
    {
        if (Invalid(roomId) is { } problem) return problem;
        var stream = StreamName.ForRoom(roomId);
        var from = caller.User?.UserId ?? request?.From;
        var message = SendValidation.ToNewMessage(stream, request, idempotencyKey, from, senderMustBeMember: !caller.IsServer);
        var outcome = await publisher.PublishAsync(stream, message, (stored, appended) => new RoomMessageEvent(
            stored.Id, stored.Stream, stored.Seq, stored.Epoch, stored.From, stored.Payload, stored.SentAt, roomId, appended.Members, appended.Online));
        if (SendValidation.Refusal(outcome, stream) is { } refused) return refused;
        var sent = outcome.Message!;
        return TypedResults.Accepted((string?)null, new RoomSendAccepted(sent.Id, stream.ToString(), sent.Seq, sent.Members, sent.Online));
    }

    private static ProblemHttpResult? Invalid(string roomId, string? userId = null) =>
        Problems.InvalidId("roomId", roomId) ?? (userId is null ? null : Problems.InvalidId("userId", userId));
}
