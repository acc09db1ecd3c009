using Microsoft.AspNetCore.Http;
using PushFunctions.Presence;
using PushFunctions.Security;

namespace PushFunctions.Tests.Functions;

public class UpstreamFunctionsTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
{
    private readonly UpstreamFunctions functions = host.Create<UpstreamFunctions>();

    private static HttpRequest Event(string? userId = "u1") => Invocation.Request("POST", "/api/signalr/push/connections/connected",
        headers: userId is null
            ? new Dictionary<string, string> { [Credentials.ConnectionIdHeader] = "c1" }
            : new Dictionary<string, string> { [Credentials.ConnectionIdHeader] = "c1", [Credentials.UserIdHeader] = userId });

    [Fact]
    public void Only_SignalR_Service_calls_the_upstream_function()
    {
        Assert.Equal("signalrUpstream", Invocation.FunctionNameOf<UpstreamFunctions>(nameof(UpstreamFunctions.Handle)));
        Assert.Equal([Credential.Upstream], Invocation.AcceptsOf<UpstreamFunctions>(nameof(UpstreamFunctions.Handle)));
    }

    [Fact]
    public async Task An_event_of_another_hub_is_404_naming_the_hub_served()
    {
        var result = await functions.Handle(Event(), "chat", "connections", "connected");

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status404NotFound, response.Status);
        Assert.Equal("Hub 'chat' is not served here; the hub is 'push'.", response.ProblemTitle);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task A_connection_without_a_user_id_is_400(string? userId)
    {
        var result = await functions.Handle(Event(userId), "push", "connections", "connected");

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.Equal("X-ASRS-User-Id is missing: connections must carry a user id.", response.ProblemTitle);
    }

    [Theory]
    [InlineData("messages", "send")]
    [InlineData("connections", "reconnected")]
    public async Task Events_other_than_connect_disconnect_and_present_are_404(string category, string @event)
    {
        var result = await functions.Handle(Event(), "push", category, @event);

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status404NotFound, response.Status);
        Assert.Equal($"No handler for {category}/{@event}: the only method clients may invoke is 'present'.", response.ProblemTitle);
    }

    [Fact]
    public void Present_is_completed_with_a_framed_void_completion_as_the_Functions_extension_writes_one()
    {
        Assert.Equal("{\"type\":3,\"invocationId\":\"7\"}\u001e", System.Text.Encoding.UTF8.GetString(PushFunctions.SignalR.HubInvocation.VoidCompletion("7")));
        Assert.Equal("present", UpstreamFunctions.PresentMethod);
    }

    [Theory]
    [InlineData("asrs.s.uid: u1, pf.sid: abc-_1, aud: http://x", "abc-_1")]
    [InlineData("pf.sid: s2", "s2")]
    [InlineData("asrs.s.uid: u1", null)]
    [InlineData("xpf.sid: s3", null)]
    [InlineData("", null)]
    public void The_session_claim_is_read_from_the_claims_header(string header, string? sessionId) =>
        Assert.Equal(sessionId, UpstreamFunctions.ReadClaim(header, Credentials.SessionClaim));
}
