using System.Net;
using Microsoft.Extensions.Options;
using PushFunctions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using PushFunctions.SignalR;
using PushFunctions.Tests.Core;
using PushFunctions.Tests.Support;

namespace PushFunctions.Tests;

/// <summary>The REST client's URLs, audiences and 404 handling, against a stub network (the emulator tests carry the rest).</summary>
public sealed class SignalRServiceTests
{
    private const string Key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
    private readonly StubHandler handler;
    private Func<HttpRequestMessage, HttpResponseMessage> answer = _ => new HttpResponseMessage(HttpStatusCode.Accepted);

    public SignalRServiceTests() => handler = new StubHandler(request => answer(request));

    private SignalRService Service(string endpoint = "Endpoint=https://demo.service.signalr.net;Port=4443") =>
        new(SignalRConnectionString.Parse($"{endpoint};AccessKey={Key};Version=1.0;"),
            new AccessKeyTokenSource(Key, TimeProvider.System), Options.Create(TestSettings.Read<SignalROptions>([])), handler);

    private static string AudienceOf(string token) => new JsonWebToken(token).Audiences.Single();

    [Fact]
    public async Task Rest_calls_go_to_the_port_but_their_audience_leaves_it_out_as_the_SDK_does()
    {
        using var service = Service();
        await service.SendToUserAsync("u 1", "message", "{}"u8.ToArray());

        var request = Assert.Single(handler.Requests);
        Assert.Equal("https://demo.service.signalr.net:4443/api/hubs/push/users/u%201/:send?api-version=2022-06-01", request.RequestUri!.AbsoluteUri);
        Assert.Equal("https://demo.service.signalr.net/api/hubs/push/users/u%201/:send", AudienceOf(request.Headers.Authorization!.Parameter!));
    }

    [Fact]
    public async Task Client_url_has_the_port_and_its_token_audience_does_not()
    {
        using var service = Service("Endpoint=http://127.0.0.1;Port=8888");
        var info = await service.GetClientConnectionInfoAsync("u1", [], TimeSpan.FromMinutes(5));

        Assert.Equal("http://127.0.0.1:8888/client/?hub=push", info.Url);
        Assert.Equal("http://127.0.0.1/client/?hub=push", AudienceOf(info.AccessToken));
    }

    [Fact]
    public async Task Audiences_name_the_Endpoint_while_calls_and_clients_go_to_the_ServerEndpoint_and_ClientEndpoint()
    {
        using var service = Service("Endpoint=https://demo.service.signalr.net;ServerEndpoint=https://server.example:8443;ClientEndpoint=https://client.example");
        await service.SendToUserAsync("u1", "message", "{}"u8.ToArray());
        var info = await service.GetClientConnectionInfoAsync("u1", [], TimeSpan.FromMinutes(5));

        var request = Assert.Single(handler.Requests);
        Assert.Equal("https://server.example:8443/api/hubs/push/users/u1/:send?api-version=2022-06-01", request.RequestUri!.AbsoluteUri);
        Assert.Equal("https://demo.service.signalr.net/api/hubs/push/users/u1/:send", AudienceOf(request.Headers.Authorization!.Parameter!));
        Assert.Equal("https://client.example/client/?hub=push", info.Url);
        Assert.Equal("https://demo.service.signalr.net/client/?hub=push", AudienceOf(info.AccessToken));
    }

    private static HttpResponseMessage NotFound(string? errorCode)
    {
        var response = new HttpResponseMessage(HttpStatusCode.NotFound);
        if (errorCode is not null) response.Headers.Add("x-ms-error-code", errorCode);
        return response;
    }

    [Fact]
    public async Task A_404_with_Warning_Connection_NotExisted_means_the_connection_is_gone()
    {
        using var service = Service();
        answer = _ => NotFound("Warning.Connection.NotExisted");
        Assert.False(await service.ConnectionExistsAsync("c1"));
        await service.CloseConnectionAsync("c1", "logged_out"); // already gone: not an error

        answer = _ => new HttpResponseMessage(HttpStatusCode.OK);
        Assert.True(await service.ConnectionExistsAsync("c1"));
    }

    [Theory]
    [InlineData(null)]                       // a wrong URL, another hub, a proxy's page
    [InlineData("Error.Connection.NotExisted")]
    [InlineData("Warning.User.NotExisted")]
    public async Task Any_other_404_is_an_error(string? errorCode)
    {
        using var service = Service();
        answer = _ => NotFound(errorCode);
        await Assert.ThrowsAsync<SignalRException>(() => service.ConnectionExistsAsync("c1"));
        await Assert.ThrowsAsync<SignalRException>(() => service.CloseConnectionAsync("c1", "logged_out"));
    }

    [Fact]
    public async Task A_refused_call_names_its_status_as_the_reason_metrics_count_it_by()
    {
        using var service = Service();
        answer = _ => NotFound(null);
        var refused = await Assert.ThrowsAsync<SignalRException>(() => service.SendToUserAsync("u1", "message", "{}"u8.ToArray()));
        Assert.Equal("404", refused.Reason);
    }

    [Fact]
    public async Task An_unanswered_call_is_unreachable_for_metrics()
    {
        using var service = Service();
        answer = _ => throw new HttpRequestException("connection refused");
        var failed = await Assert.ThrowsAsync<SignalRException>(() => service.SendToUserAsync("u1", "message", "{}"u8.ToArray()));
        Assert.Equal("unreachable", failed.Reason);
    }
}
