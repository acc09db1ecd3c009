using Microsoft.AspNetCore.Http;
using PushFunctions.Rooms;
using PushFunctions.Security;

namespace PushFunctions.Tests.Functions;

public class RoomsFunctionsTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
{
    private readonly RoomsFunctions functions = host.Create<RoomsFunctions>();

    [Theory]
    [InlineData(nameof(RoomsFunctions.SetPolicy), "setRoomPolicy", new[] { Credential.Server })]
    [InlineData(nameof(RoomsFunctions.AddMember), "addRoomMember", new[] { Credential.Server })]
    [InlineData(nameof(RoomsFunctions.RemoveMember), "removeRoomMember", new[] { Credential.Server })]
    [InlineData(nameof(RoomsFunctions.Members), "roomMembers", new[] { Credential.Server })]
    [InlineData(nameof(RoomsFunctions.Join), "joinRoom", new[] { Credential.Session })]
    [InlineData(nameof(RoomsFunctions.Leave), "leaveRoom", new[] { Credential.Session })]
    [InlineData(nameof(RoomsFunctions.Send), "sendToRoom", new[] { Credential.Server, Credential.Session })]
    public void Each_function_demands_its_credential(string method, string name, Credential[] accepts)
    {
        Assert.Equal(name, Invocation.FunctionNameOf<RoomsFunctions>(method));
        Assert.Equal(accepts, Invocation.AcceptsOf<RoomsFunctions>(method));
    }

    public static TheoryData<string, string, string> BadIds => new()
    {
        { "bad room", "u1", "The roomId must be" },
        { "", "u1", "The roomId must be" },
        { "r1", "bad user", "The userId must be" },
        { "r1", "", "The userId must be" },
    };

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task Adding_a_member_with_an_invalid_id_is_400(string roomId, string userId, string title) =>
        await AssertBadRequest(await functions.AddMember(Invocation.Request("PUT", "/api/rooms/x/members/y"), roomId, userId), title);

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task Removing_a_member_with_an_invalid_id_is_400(string roomId, string userId, string title) =>
        await AssertBadRequest(await functions.RemoveMember(Invocation.Request("DELETE", "/api/rooms/x/members/y"), roomId, userId), title);

    [Fact]
    public async Task Listing_the_members_of_an_invalid_room_id_is_400() =>
        await AssertBadRequest(await functions.Members(Invocation.Request("GET", "/api/rooms/x/members"), "bad room"), "The roomId must be");

    [Theory]
    [InlineData("{\"policy\":\"everyone\"}")]
    [InlineData("{\"policy\":1}")]
    [InlineData("{}")]
    [InlineData("")]
    public async Task Setting_a_policy_other_than_open_or_members_is_400(string body) =>
        await AssertBadRequest(await functions.SetPolicy(Invocation.Request("PUT", "/api/rooms/r1", body), "r1"), body.Contains("policy\":1") ? "The body is not valid JSON" : "The body must be");

    [Fact]
    public async Task Setting_the_policy_of_an_invalid_room_id_is_400() =>
        await AssertBadRequest(await functions.SetPolicy(Invocation.Request("PUT", "/api/rooms/x", "{\"policy\":\"open\"}"), "bad room"), "The roomId must be");

    [Fact]
    public async Task Joining_an_invalid_room_id_is_400()
    {
        var context = Invocation.Context("joinRoom", caller: Invocation.Session());
        await AssertBadRequest(await functions.Join(Invocation.Request("POST", "/api/rooms/x/join"), "bad room", context.Object), "The roomId must be");
    }

    [Fact]
    public async Task Leaving_an_invalid_room_id_is_400()
    {
        var context = Invocation.Context("leaveRoom", caller: Invocation.Session());
        await AssertBadRequest(await functions.Leave(Invocation.Request("POST", "/api/rooms/x/leave"), "bad room", context.Object), "The roomId must be");
    }

    [Fact]
    public async Task Sending_to_an_invalid_room_id_is_400()
    {
        var context = Invocation.Context("sendToRoom", caller: Caller.Server);
        await AssertBadRequest(await functions.Send(Invocation.Request("POST", "/api/rooms/x/messages", """{"payload":1}"""), "bad room", context.Object), "The roomId must be");
    }

    [Theory]
    [InlineData("{}", "The body must be a JSON object with a 'payload' (any JSON value).")]
    [InlineData("""{"payload":1,"from":"bad id"}""", "'from' must be")]
    [InlineData("""{"payload":""", "The body is not valid JSON of the expected shape")]
    public async Task A_bad_room_send_from_the_server_is_400(string body, string title)
    {
        var context = Invocation.Context("sendToRoom", caller: Caller.Server);
        await AssertBadRequest(await functions.Send(Invocation.Request("POST", "/api/rooms/r1/messages", body), "r1", context.Object), title);
    }

    [Fact]
    public async Task A_room_send_from_a_session_is_sent_as_the_user_not_as_the_from_field()
    {
        // A browser cannot speak for someone else: its 'from' is ignored, so a bad one is no reason to refuse.
        // An oversized payload is, and the refusal comes before anything is stored.
        var context = Invocation.Context("sendToRoom", caller: Invocation.Session("u1"));
        var body = $$"""{"from":"bad id","payload":"{{new string('x', 70_000)}}"}""";

        var result = await functions.Send(Invocation.Request("POST", "/api/rooms/r1/messages", body), "r1", context.Object);

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status413PayloadTooLarge, response.Status);
    }

    private async Task AssertBadRequest(IResult result, string title)
    {
        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.StartsWith(title, response.ProblemTitle);
    }
}
