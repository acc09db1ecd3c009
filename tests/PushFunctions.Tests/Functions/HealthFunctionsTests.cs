using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using PushFunctions.Health;
using PushFunctions.Http;
using PushFunctions.SignalR;
using PushFunctions.Tests.Support;

namespace PushFunctions.Tests.Functions;

/// <summary>
/// Health with Redis down (the unit tests' Redis never answers) and the app's own SignalR Service client, whose
/// health probe (<c>HEAD /api/health</c>) a stub network answers as the test says.
/// </summary>
public class HealthFunctionsTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
{
    [Fact]
    public void Health_is_anonymous() =>
        Assert.Empty(Invocation.AcceptsOf<HealthFunctions>(nameof(HealthFunctions.Check)));

    [Fact]
    public async Task Redis_down_is_503_with_Retry_After_naming_only_the_dependency_that_is_down()
    {
        var network = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.OK));
        using var signalR = SignalRClient(network);
        var request = Invocation.Request("GET", "/api/health");

        var result = await Functions(signalR).Check(request);

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, response.Status);
        Assert.Equal(((int)Problems.RetryAfter.TotalSeconds).ToString(), request.HttpContext.Response.Headers.RetryAfter.ToString());
        Assert.Equal("unhealthy", response.Json.GetProperty("status").GetString());
        Assert.Equal("down", response.Json.GetProperty("redis").GetString());
        Assert.Equal("up", response.Json.GetProperty("signalR").GetString());
        var probe = Assert.Single(network.Requests);
        Assert.Equal(HttpMethod.Head, probe.Method);
        Assert.Equal("/api/health", probe.RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task SignalR_failing_is_reported_down_without_its_error()
    {
        var network = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.InternalServerError)
        {
            Content = new StringContent("{\"code\":\"Error.Internal\",\"message\":\"secret detail\"}"),
        });
        using var signalR = SignalRClient(network);

        var result = await Functions(signalR).Check(Invocation.Request("GET", "/api/health"));

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, response.Status);
        Assert.Equal("down", response.Json.GetProperty("signalR").GetString());
        Assert.DoesNotContain("secret", response.Body);
        Assert.NotEmpty(network.Requests);
    }

    /// <summary>The app's SignalR Service client (its URLs, tokens, retries) over <paramref name="network"/>.</summary>
    private SignalRService SignalRClient(StubHandler network) => ActivatorUtilities.CreateInstance<SignalRService>(host.Services, network);

    private HealthFunctions Functions(ISignalRService signalR) => ActivatorUtilities.CreateInstance<HealthFunctions>(host.Services, signalR);
}
