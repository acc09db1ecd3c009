using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Moq;
using PushFunctions.Configuration;
using PushFunctions.Http;
using PushFunctions.Security;
using PushFunctions.SignalR;
using Microsoft.Extensions.DependencyInjection;
using PushFunctions.Redis;

namespace PushFunctions.Tests.Functions;

/// <summary>The checks in front of every function: a refusal answers problem+json and the function never runs.</summary>
public class FrontDoorMiddlewareTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
{
    private readonly FrontDoorMiddleware frontDoor = host.Create<FrontDoorMiddleware>();

    /// <param name="Failure">What the middleware threw after answering: the invocation's failure, as the worker reports it to the host.</param>
    private sealed record Run(Response Response, bool FunctionRan, Mock<FunctionContext> Context, Exception? Failure = null);

    private static HttpContext Http(string method, string path, IDictionary<string, string>? headers = null) =>
        Invocation.Request(method, path, headers: headers).HttpContext;

    private static Dictionary<string, string> ServerKey(string key = FunctionTestHost.ServerKey) => new() { [Credentials.ServerKeyHeader] = key };

    private static Dictionary<string, string> UpstreamSignature(string key = FunctionTestHost.AccessKey) => new()
    {
        [Credentials.ConnectionIdHeader] = "c1",
        [Credentials.SignatureHeader] = PushFunctions.Security.UpstreamSignature.Compute(key, "c1"),
    };

    private Task<Run> InvokeAsync(string function, HttpContext http, Func<FunctionContext, Task>? body = null) =>
        InvokeAsync(frontDoor, function, http, body);

    private async Task<Run> InvokeAsync(FrontDoorMiddleware middleware, string function, HttpContext http, Func<FunctionContext, Task>? body = null)
    {
        http.RequestServices = host.Services;
        http.Response.Body = new MemoryStream();
        var context = Invocation.Context(function, http);
        var ran = false;
        Exception? failure = null;
        try
        {
            await middleware.Invoke(context.Object, c =>
            {
                ran = true;
                return body?.Invoke(c) ?? Task.CompletedTask;
            });
        }
        catch (Exception e)
        {
            failure = e;
        }
        return new Run(await Response.ReadAsync(http), ran, context, failure);
    }

    /// <summary>A server call whose function fails with <paramref name="failure"/>.</summary>
    private Task<Run> FailingAsync(Exception failure) =>
        InvokeAsync("login", Http("POST", "/api/login", ServerKey()), _ => throw failure);

    [Fact]
    public async Task No_credential_is_401_saying_which_credentials_exist()
    {
        var run = await InvokeAsync("login", Http("POST", "/api/login"));

        Assert.Equal(StatusCodes.Status401Unauthorized, run.Response.Status);
        Assert.Equal(FrontDoorMiddleware.MissingCredentials, run.Response.ProblemTitle);
        Assert.False(run.FunctionRan);
    }

    [Theory]
    [InlineData("x-functions-key", "not-our-key", "The server key is wrong.")]
    [InlineData("Authorization", "Bearer forged.token", "The session token is invalid, expired or revoked: sign in again.")]
    [InlineData("Authorization", "Basic dTpw", "The Authorization header must be 'Bearer <session token>'.")]
    [InlineData("X-ASRS-Signature", "sha256=00", "The X-ASRS-Signature does not match this service's access keys.")]
    public async Task A_wrong_credential_is_401_saying_what_is_wrong(string header, string value, string title)
    {
        var headers = new Dictionary<string, string> { [header] = value, [Credentials.ConnectionIdHeader] = "c1" };

        var run = await InvokeAsync("sendToRoom", Http("POST", "/api/rooms/r1/messages", headers));

        Assert.Equal(StatusCodes.Status401Unauthorized, run.Response.Status);
        Assert.Equal(title, run.Response.ProblemTitle);
        Assert.False(run.FunctionRan);
    }

    [Fact]
    public async Task A_server_key_on_a_browser_only_function_is_403()
    {
        var run = await InvokeAsync("negotiate", Http("POST", "/api/negotiate", ServerKey()));

        Assert.Equal(StatusCodes.Status403Forbidden, run.Response.Status);
        Assert.Equal(FrontDoorMiddleware.WrongCredentialKind, run.Response.ProblemTitle);
        Assert.False(run.FunctionRan);
    }

    [Fact]
    public async Task A_valid_upstream_signature_on_a_server_function_is_403()
    {
        var run = await InvokeAsync("login", Http("POST", "/api/login", UpstreamSignature()));

        Assert.Equal(StatusCodes.Status403Forbidden, run.Response.Status);
        Assert.False(run.FunctionRan);
    }

    [Theory]
    [InlineData("login", "/api/login", Credential.Server)]
    [InlineData("sendToRoom", "/api/rooms/r1/messages", Credential.Server)]
    [InlineData("signalrUpstream", "/api/signalr/push/connections/connected", Credential.Upstream)]
    public async Task A_declared_credential_reaches_the_function_as_its_caller(string function, string path, Credential credential)
    {
        var run = await InvokeAsync(function, Http("POST", path, credential == Credential.Server ? ServerKey() : UpstreamSignature()));

        Assert.True(run.FunctionRan);
        Assert.Equal(credential, run.Context.Object.GetCaller().Credential);
        Assert.Null(run.Context.Object.GetCaller().User);
    }

    [Fact]
    public async Task The_server_key_is_also_read_from_the_code_query_parameter()
    {
        var http = Http("GET", "/api/rooms/r1/members");
        http.Request.QueryString = new QueryString($"?code={FunctionTestHost.ServerKey}");

        var run = await InvokeAsync("roomMembers", http);

        Assert.True(run.FunctionRan);
    }

    [Fact]
    public async Task An_anonymous_function_runs_without_a_credential_and_without_a_caller()
    {
        var run = await InvokeAsync("health", Http("GET", "/api/health"));

        Assert.True(run.FunctionRan);
        Assert.Throws<InvalidOperationException>(() => run.Context.Object.GetCaller());
    }

    [Fact]
    public async Task A_timer_invocation_has_no_request_and_runs_unchecked()
    {
        var context = Invocation.Context("presenceLeaseCheck");
        var ran = false;

        await frontDoor.Invoke(context.Object, _ =>
        {
            ran = true;
            return Task.CompletedTask;
        });

        Assert.True(ran);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_before_the_credential_is_looked_at()
    {
        var http = Http("POST", "/api/broadcast");
        http.Request.ContentLength = RequestGuards.MaxBodyBytes + 1;

        var run = await InvokeAsync("broadcast", http);

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, run.Response.Status);
        Assert.Equal($"The request body is over {RequestGuards.MaxBodyBytes} bytes.", run.Response.ProblemTitle);
        Assert.False(run.FunctionRan);
    }

    [Fact]
    public async Task Headers_over_the_limit_are_431()
    {
        var http = Http("POST", "/api/broadcast", ServerKey());
        http.Request.Headers["X-Padding"] = new string('p', RequestGuards.MaxHeaderBytes);

        var run = await InvokeAsync("broadcast", http);

        Assert.Equal(StatusCodes.Status431RequestHeaderFieldsTooLarge, run.Response.Status);
        Assert.False(run.FunctionRan);
    }

    [Fact]
    public async Task A_flood_from_one_server_key_is_429_with_Retry_After()
    {
        // In-memory configuration keys use the section separator that environment variables spell "__".
        using var slow = FunctionTestHost.With(new() { [SettingNames.ServerRequestsPerSecond.Replace("__", ":")] = "1" });
        var middleware = slow.Create<FrontDoorMiddleware>();
        var runs = new List<Run>();
        for (var i = 0; i < 10; i++) runs.Add(await InvokeAsync(middleware, "broadcast", Http("POST", "/api/broadcast", ServerKey())));

        var refused = runs.Where(r => r.Response.Status == StatusCodes.Status429TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, r =>
        {
            Assert.False(r.FunctionRan);
            Assert.Equal(RateLimits.Refusal, r.Response.ProblemTitle);
            Assert.True(int.Parse(r.Response.Headers.RetryAfter.ToString()) >= 1);
        });
        Assert.True(runs[0].FunctionRan);
    }

    [Fact]
    public async Task Redis_unavailable_is_503_with_Retry_After_pointing_to_the_safe_retry()
    {
        // The unit tests' Redis never answers: the function's command fails as it would with Redis down.
        var redis = host.Services.GetRequiredService<RedisConnection>();
        var run = await InvokeAsync("broadcast", Http("POST", "/api/broadcast", ServerKey()),
            async _ => await redis.Database.StringGetAsync("pf:unit-test"));

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, run.Response.Status);
        Assert.Equal("2", run.Response.Headers.RetryAfter.ToString());
        Assert.Contains("same Idempotency-Key", run.Response.ProblemTitle);
        Assert.NotNull(run.Failure);
    }

    [Fact]
    public async Task A_disposed_Redis_connection_while_the_app_stops_is_503_too()
    {
        var failure = new ObjectDisposedException("ConnectionMultiplexer");
        var run = await FailingAsync(failure);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, run.Response.Status);
        Assert.Equal("2", run.Response.Headers.RetryAfter.ToString());
        Assert.Same(failure, run.Failure);
    }

    [Fact]
    public async Task SignalR_Service_unavailable_is_503_with_Retry_After()
    {
        var failure = new SignalRException("add to group: 503");
        var run = await FailingAsync(failure);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, run.Response.Status);
        Assert.Equal("2", run.Response.Headers.RetryAfter.ToString());
        Assert.StartsWith("SignalR Service is unavailable", run.Response.ProblemTitle);
        Assert.Same(failure, run.Failure);
    }

    [Fact]
    public async Task A_Redis_timeout_is_503_with_Retry_After()
    {
        var run = await FailingAsync(new StackExchange.Redis.RedisTimeoutException(StackExchange.Redis.CommandFlags.None, "Timeout awaiting response", StackExchange.Redis.CommandStatus.Sent));

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, run.Response.Status);
        Assert.Equal("2", run.Response.Headers.RetryAfter.ToString());
        Assert.StartsWith("Storage (Redis) is unavailable", run.Response.ProblemTitle);
        Assert.IsType<StackExchange.Redis.RedisTimeoutException>(run.Failure);
    }

    [Fact]
    public async Task An_unexpected_failure_is_500_without_its_details()
    {
        var failure = new InvalidOperationException("connection string password=hunter2");
        var run = await FailingAsync(failure);

        Assert.Equal(StatusCodes.Status500InternalServerError, run.Response.Status);
        Assert.Equal("An unexpected error occurred; it has been logged.", run.Response.ProblemTitle);
        Assert.DoesNotContain("hunter2", run.Response.Body);
        Assert.False(run.Response.Headers.ContainsKey("Retry-After"));
        Assert.Same(failure, run.Failure);
    }
}
