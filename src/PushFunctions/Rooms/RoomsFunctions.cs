using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using PushFunctions.Configuration;
using PushFunctions.Delivery;
using PushFunctions.Http;
using PushFunctions.Security;

namespace PushFunctions.Rooms;

/// <summary>Room membership (by the main backend, or a user joining and leaving) and room messages.</summary>
public sealed class RoomsFunctions(RoomService rooms, RoomStore store, Publisher publisher, IOptions<LimitsOptions> limits)
{
    /// <summary>The main backend decides who may join a room by themselves (API.md: <c>members</c> by default).</summary>
    [Function("setRoomPolicy")]
    [Accepts(Credential.Server)]
    public async Task<Results<NoContent, ProblemHttpResult>> SetPolicy(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "rooms/{roomId}")] HttpRequest request, string roomId)
    {
        if (Invalid(roomId) is { } problem) return problem;
        var body = await JsonBody.ReadAsync<RoomSettings>(request);
        if (body.Problem is { } malformed) return malformed;
        RoomPolicy? policy = body.Value?.Policy switch { "open" => RoomPolicy.Open, "members" => RoomPolicy.Members, _ => null };
        if (policy is not { } chosen) return Problems.BadRequest("The body must be {\"policy\": \"open\"} (anyone with a session may join) or {\"policy\": \"members\"} (only users the main backend adds).");
        await store.SetPolicyAsync(roomId, chosen);
        return TypedResults.NoContent();
    }

    [Function("addRoomMember")]
    [Accepts(Credential.Server)]
    public Task<Results<NoContent, ProblemHttpResult>> AddMember(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "rooms/{roomId}/members/{userId}")] HttpRequest request, string roomId, string userId) =>
        JoinAsync(roomId, userId);

    [Function("removeRoomMember")]
    [Accepts(Credential.Server)]
    public Task<Results<NoContent, ProblemHttpResult>> RemoveMember(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "rooms/{roomId}/members/{userId}")] HttpRequest request, string roomId, string userId) =>
        LeaveAsync(roomId, userId);

    [Function("roomMembers")]
    [Accepts(Credential.Server)]
    public async Task<Results<Ok<RoomMembers>, ProblemHttpResult>> Members(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "rooms/{roomId}/members")] HttpRequest request, string roomId)
    {
        if (Invalid(roomId) is { } problem) return problem;
        var members = await store.MembersAsync(roomId);
        return TypedResults.Ok(new RoomMembers(members.Count, members.Count(m => m.Online), members));
    }

    [Function("joinRoom")]
    [Accepts(Credential.Session)]
    public async Task<Results<NoContent, ProblemHttpResult>> Join(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rooms/{roomId}/join")] HttpRequest request, string roomId, FunctionContext context)
    {
        if (Invalid(roomId) is { } problem) return problem;
        return Joined(roomId, await rooms.JoinByUserAsync(roomId, context.GetUser().UserId));
    }

    [Function("leaveRoom")]
    [Accepts(Credential.Session)]
    public Task<Results<NoContent, ProblemHttpResult>> Leave(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rooms/{roomId}/leave")] HttpRequest request, string roomId, FunctionContext context) =>
        LeaveAsync(roomId, context.GetUser().UserId);

    /// <summary>From a session: the user must be a member and is the sender. From the server: <c>from</c> is optional.</summary>
    [Function("sendToRoom")]
    [Accepts(Credential.Server, Credential.Session)]
    public async Task<Results<AcceptedJson<RoomSendAccepted>, ProblemHttpResult>> Send(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rooms/{roomId}/messages")] HttpRequest request, string roomId, FunctionContext context)
    {
        if (Invalid(roomId) is { } problem) return problem;
        var body = await JsonBody.ReadAsync<SendRequest>(request);
        if (body.Problem is { } malformed) return malformed;

        var caller = context.GetCaller();
        var stream = StreamName.ForRoom(roomId);
        var from = caller.User?.UserId ?? body.Value?.From;
        var send = SendValidation.Validate(stream, body, SendValidation.IdempotencyKeyOf(request), from, senderMustBeMember: !caller.IsServer);
        if (send.Message is not { } message) return SendRefusals.Of(send);
        var outcome = await publisher.PublishAsync(stream, message, (stored, appended) => new RoomMessageEvent(
            stored.Id, stored.Stream, stored.Seq, stored.Epoch, stored.From, stored.Payload, stored.SentAt, roomId, appended.Members, appended.Online));
        if (SendRefusals.Of(outcome, stream) is { } refused) return refused;
        var sent = outcome.Message!;
        return new AcceptedJson<RoomSendAccepted>(new RoomSendAccepted(sent.Id, stream.ToString(), sent.Seq, sent.Members, sent.Online));
    }

    private async Task<Results<NoContent, ProblemHttpResult>> JoinAsync(string roomId, string userId)
    {
        if (Invalid(roomId, userId) is { } problem) return problem;
        return Joined(roomId, await rooms.JoinAsync(roomId, userId));
    }

    private Results<NoContent, ProblemHttpResult> Joined(string roomId, JoinOutcome outcome) => outcome switch
    {
        JoinOutcome.Joined => TypedResults.NoContent(),
        JoinOutcome.NotOpen => Problems.Forbidden($"Room '{roomId}' is not open: only the main backend can add you (PUT /api/rooms/{{roomId}}/members/{{userId}})."),
        JoinOutcome.UserHasTooManyRooms => Problems.Result(StatusCodes.Status409Conflict,
            $"The user is already in {limits.Value.RoomsPerUser} rooms, the limit ({SettingNames.RoomsPerUser}): remove them from a room first."),
        _ => Problems.Result(StatusCodes.Status409Conflict,
            $"Room '{roomId}' has {limits.Value.MembersPerRoom} members, the limit ({SettingNames.MembersPerRoom}): remove a member first."),
    };

    private async Task<Results<NoContent, ProblemHttpResult>> LeaveAsync(string roomId, string userId)
    {
        if (Invalid(roomId, userId) is { } problem) return problem;
        await rooms.LeaveAsync(roomId, userId);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult? Invalid(string roomId, string? userId = null) =>
        Problems.InvalidId("roomId", roomId) ?? (userId is null ? null : Problems.InvalidId("userId", userId));
}
