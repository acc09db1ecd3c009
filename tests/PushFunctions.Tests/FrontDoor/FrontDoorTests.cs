using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using PushFunctions.Configuration;
using PushFunctions.Http;
using PushFunctions.Redis;
using PushFunctions.Security;
using PushFunctions.SignalR;
using PushFunctions.Tests.Functions;
using static PushFunctions.Tests.FrontDoor.MiddlewareRuns;

namespace PushFunctions.Tests.FrontDoor;

/// <summary>
/// The checks in front of every function, a test class per middleware: a refusal answers problem+json and the
/// function never runs.
/// </summary>
public static class FrontDoorTests
{
    /// <summary>The front door as the app registers it: its middleware in order, for HTTP invocations only.</summary>
    public class RegisteredInOrder(FunctionTestHost host) : IClassFixture<FunctionTestHost>
    {
        [Fact]
        public async Task A_timer_invocation_has_no_request_and_runs_unchecked()
        {
            var context = Invocation.Context("periodicCheck");
            context.SetupGet(c => c.InstanceServices).Returns(host.Services);
            var ran = false;

            await host.Pipeline(_ =>
            {
                ran = true;
                return Task.CompletedTask;
            })(context.Object);

            Assert.True(ran);
            Assert.False(PushFunctions.Http.FrontDoor.IsHttp(context.Object));
        }

        [Fact]
        public async Task A_body_over_the_limit_is_413_before_the_credential_is_looked_at()
        {
            var http = Call("POST", "/api/broadcast");
            http.Request.ContentLength = RequestSizeMiddleware.MaxBodyBytes + 1;

            var run = await host.RunFrontDoorAsync("broadcast", http);

            Assert.Equal(StatusCodes.Status413PayloadTooLarge, run.Response.Status);
            Assert.Equal($"The request body is over {RequestSizeMiddleware.MaxBodyBytes} bytes.", run.Response.ProblemTitle);
            Assert.False(run.FunctionRan);
        }

        [Fact]
        public async Task A_declared_credential_passes_every_check_and_a_failure_behind_them_is_a_problem()
        {
            var run = await host.RunFrontDoorAsync("login", Call("POST", "/api/login", ServerKey()), _ => throw new InvalidOperationException("boom"));

            Assert.True(run.FunctionRan);
            Assert.Equal(StatusCodes.Status500InternalServerError, run.Response.Status);
        }
    }

    /// <summary>A failure behind the front door is a problem answer: 503 + Retry-After for a dependency that is down, 500 otherwise.</summary>
    public class ErrorMappingMiddlewareTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
    {
        private readonly ErrorMappingMiddleware errors = host.Create<ErrorMappingMiddleware>();

        /// <summary>A server call whose function fails with <paramref name="failure"/>.</summary>
        private Task<MiddlewareRun> FailingAsync(Exception failure) => FailingAsync(_ => throw failure);

        private Task<MiddlewareRun> FailingAsync(Func<FunctionContext, Task> function) =>
            host.RunAsync(errors, "login", Call("POST", "/api/login", ServerKey()), function);

        /// <summary>503 with Retry-After (2 s); returns the problem's title.</summary>
        private static string Unavailable(MiddlewareRun run)
        {
            Assert.Equal(StatusCodes.Status503ServiceUnavailable, run.Response.Status);
            Assert.Equal("2", run.Response.Headers.RetryAfter.ToString());
            return run.Response.ProblemTitle;
        }

        [Fact]
        public async Task Redis_unavailable_is_503_with_Retry_After_pointing_to_the_safe_retry()
        {
            // The unit tests' Redis never answers: the function's command fails as it would with Redis down.
            var redis = host.Services.GetRequiredService<RedisConnection>();
            var run = await FailingAsync(async _ => await redis.Database.StringGetAsync("pf:unit-test"));

            Assert.Contains("same Idempotency-Key", Unavailable(run));
        }

        [Fact]
        public async Task A_disposed_Redis_connection_while_the_app_stops_is_503_too()
        {
            var run = await FailingAsync(new ObjectDisposedException("ConnectionMultiplexer"));

            Assert.StartsWith("Storage (Redis) is unavailable", Unavailable(run));
        }

        [Fact]
        public async Task SignalR_Service_unavailable_is_503_with_Retry_After()
        {
            var run = await FailingAsync(new SignalRException("add to group: 503"));

            Assert.StartsWith("SignalR Service is unavailable", Unavailable(run));
        }

        [Fact]
        public async Task A_Redis_timeout_is_503_with_Retry_After()
        {
            var run = await FailingAsync(new StackExchange.Redis.RedisTimeoutException(StackExchange.Redis.CommandFlags.None, "Timeout awaiting response", StackExchange.Redis.CommandStatus.Sent));

            Assert.StartsWith("Storage (Redis) is unavailable", Unavailable(run));
        }

        [Fact]
        public async Task An_unexpected_failure_is_500_without_its_details()
        {
            var run = await FailingAsync(new InvalidOperationException("connection string password=hunter2"));

            Assert.Equal(StatusCodes.Status500InternalServerError, run.Response.Status);
            Assert.Equal("An unexpected error occurred; it has been logged.", run.Response.ProblemTitle);
            Assert.DoesNotContain("hunter2", run.Response.Body);
            Assert.False(run.Response.Headers.ContainsKey("Retry-After"));
        }
    }

    /// <summary>Requests too large to act on are refused with problem+json and the function never runs.</summary>
    public class RequestSizeMiddlewareTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
    {
        private readonly RequestSizeMiddleware sizes = host.Create<RequestSizeMiddleware>();

        [Fact]
        public async Task Headers_over_the_limit_are_431()
        {
            var http = Call("POST", "/api/broadcast", ServerKey());
            http.Request.Headers["X-Padding"] = new string('p', RequestSizeMiddleware.MaxHeaderBytes);

            var run = await host.RunAsync(sizes, "broadcast", http);

            Assert.Equal(StatusCodes.Status431RequestHeaderFieldsTooLarge, run.Response.Status);
            Assert.False(run.FunctionRan);
        }

        [Fact]
        public async Task A_request_within_the_limits_goes_on()
        {
            var http = Call("POST", "/api/broadcast", ServerKey());
            http.Request.ContentLength = RequestSizeMiddleware.MaxBodyBytes;

            var run = await host.RunAsync(sizes, "broadcast", http);

            Assert.True(run.FunctionRan);
        }
    }

    /// <summary>A caller past its bucket gets 429 with Retry-After and the function never runs.</summary>
    public class RateLimitMiddlewareTests
    {
        /// <summary>A host whose limit for <paramref name="setting"/> is 1 request per second (a burst of 2).</summary>
        private static FunctionTestHost Slow(string setting) =>
            // In-memory configuration keys use the section separator that environment variables spell "__".
            FunctionTestHost.With(new() { [setting.Replace("__", ":")] = "1" });

        private static void AssertFloodRefused(List<MiddlewareRun> runs)
        {
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
        public async Task A_flood_from_one_server_key_is_429_with_Retry_After()
        {
            using var slow = Slow(SettingNames.ServerRequestsPerSecond);
            var middleware = slow.Create<RateLimitMiddleware>();
            var runs = new List<MiddlewareRun>();
            for (var i = 0; i < 10; i++) runs.Add(await slow.RunAsync(middleware, "broadcast", Call("POST", "/api/broadcast", ServerKey())));

            AssertFloodRefused(runs);
        }

        [Fact]
        public async Task A_flood_from_one_user_is_429_with_Retry_After_across_their_sessions()
        {
            using var slow = Slow(SettingNames.UserRequestsPerSecond);
            var middleware = slow.Create<UserRateLimitMiddleware>();
            var runs = new List<MiddlewareRun>();
            for (var i = 0; i < 10; i++)
                runs.Add(await slow.RunAsync(middleware, "sync", Call("POST", "/api/sync"), caller: Invocation.Session("u1", sessionId: "s" + i % 3)));

            AssertFloodRefused(runs);
        }

        [Fact]
        public async Task The_server_and_the_service_are_never_limited_by_a_user_bucket()
        {
            using var slow = Slow(SettingNames.UserRequestsPerSecond);
            var middleware = slow.Create<UserRateLimitMiddleware>();
            for (var i = 0; i < 10; i++)
            {
                var run = await slow.RunAsync(middleware, "login", Call("POST", "/api/login"), caller: i % 2 == 0 ? Caller.Server : Caller.Upstream);
                Assert.True(run.FunctionRan);
            }
        }
    }

    /// <summary>Who calls: a missing or wrong credential is 401 problem+json and the function never runs; a good one is its caller.</summary>
    public class AuthenticationMiddlewareTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
    {
        private readonly AuthenticationMiddleware authentication = host.Create<AuthenticationMiddleware>();

        private Task<MiddlewareRun> InvokeAsync(string function, HttpContext http) => host.RunAsync(authentication, function, http);

        [Fact]
        public async Task No_credential_is_401_saying_which_credentials_exist()
        {
            var run = await InvokeAsync("login", Call("POST", "/api/login"));

            Assert.Equal(StatusCodes.Status401Unauthorized, run.Response.Status);
            Assert.Equal(AuthenticationMiddleware.MissingCredentials, run.Response.ProblemTitle);
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

            var run = await InvokeAsync("sendToRoom", Call("POST", "/api/rooms/r1/messages", headers));

            Assert.Equal(StatusCodes.Status401Unauthorized, run.Response.Status);
            Assert.Equal(title, run.Response.ProblemTitle);
            Assert.False(run.FunctionRan);
        }

        [Theory]
        [InlineData("login", "/api/login", Credential.Server)]
        [InlineData("sendToRoom", "/api/rooms/r1/messages", Credential.Server)]
        [InlineData("signalrUpstream", "/api/signalr/push/connections/connected", Credential.Upstream)]
        public async Task A_declared_credential_reaches_the_function_as_its_caller(string function, string path, Credential credential)
        {
            var run = await InvokeAsync(function, Call("POST", path, credential == Credential.Server ? ServerKey() : UpstreamSignature()));

            Assert.True(run.FunctionRan);
            Assert.Equal(credential, run.Context.Object.GetCaller().Credential);
            Assert.Null(run.Context.Object.GetCaller().User);
        }

        [Fact]
        public async Task The_server_key_is_also_read_from_the_code_query_parameter()
        {
            var http = Call("GET", "/api/rooms/r1/members");
            http.Request.QueryString = new QueryString($"?code={FunctionTestHost.ServerKey}");

            var run = await InvokeAsync("roomMembers", http);

            Assert.True(run.FunctionRan);
        }

        [Fact]
        public async Task An_anonymous_function_runs_without_a_credential_and_without_a_caller()
        {
            var run = await InvokeAsync("health", Call("GET", "/api/health"));

            Assert.True(run.FunctionRan);
            Assert.Throws<InvalidOperationException>(() => run.Context.Object.GetCaller());
        }
    }

    /// <summary>A caller of a kind the function does not accept ([Accepts]) is 403 problem+json and the function never runs.</summary>
    public class PermissionMiddlewareTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
    {
        private readonly PermissionMiddleware permission = host.Create<PermissionMiddleware>();

        [Fact]
        public async Task A_server_key_on_a_browser_only_function_is_403()
        {
            var run = await host.RunAsync(permission, "negotiate", Call("POST", "/api/negotiate", ServerKey()), caller: Caller.Server);

            Assert.Equal(StatusCodes.Status403Forbidden, run.Response.Status);
            Assert.Equal(PermissionMiddleware.WrongCredentialKind, run.Response.ProblemTitle);
            Assert.False(run.FunctionRan);
        }

        [Fact]
        public async Task A_valid_upstream_signature_on_a_server_function_is_403()
        {
            var run = await host.RunAsync(permission, "login", Call("POST", "/api/login", UpstreamSignature()), caller: Caller.Upstream);

            Assert.Equal(StatusCodes.Status403Forbidden, run.Response.Status);
            Assert.False(run.FunctionRan);
        }

        [Fact]
        public async Task A_caller_the_function_accepts_reaches_it()
        {
            var run = await host.RunAsync(permission, "sendToRoom", Call("POST", "/api/rooms/r1/messages"), caller: Invocation.Session());

            Assert.True(run.FunctionRan);
        }
    }
}
