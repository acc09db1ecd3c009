using Microsoft.AspNetCore.Http;
using Moq;
using PushFunctions.Health;
using PushFunctions.Http;
using PushFunctions.SignalR;

namespace PushFunctions.Tests.Functions;

/// <summary>Health with Redis down (the unit tests' Redis never answers) and SignalR Service as the mock says.</summary>
public class HealthFunctionsTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
{
    private readonly HealthFunctions functions = host.Create<HealthFunctions>();

    [Fact]
    public void Health_is_anonymous() =>
        Assert.Empty(Invocation.AcceptsOf<HealthFunctions>(nameof(HealthFunctions.Check)));

    [Fact]
    public async Task Redis_down_is_503_with_Retry_After_naming_only_the_dependency_that_is_down()
    {
        host.SignalR.Setup(s => s.PingAsync(It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        var request = Invocation.Request("GET", "/api/health");

        var result = await functions.Check(request);

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, response.Status);
        Assert.Equal(((int)Problems.RetryAfter.TotalSeconds).ToString(), request.HttpContext.Response.Headers.RetryAfter.ToString());
        Assert.Equal("unhealthy", response.Json.GetProperty("status").GetString());
        Assert.Equal("down", response.Json.GetProperty("redis").GetString());
        Assert.Equal("up", response.Json.GetProperty("signalR").GetString());
    }

    [Fact]
    public async Task SignalR_failing_is_reported_down_without_its_error()
    {
        host.SignalR.Setup(s => s.PingAsync(It.IsAny<CancellationToken>())).ThrowsAsync(new SignalRException("ping failed: 500 with secret detail"));

        var result = await functions.Check(Invocation.Request("GET", "/api/health"));

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, response.Status);
        Assert.Equal("down", response.Json.GetProperty("signalR").GetString());
        Assert.DoesNotContain("secret", response.Body);
    }
}
