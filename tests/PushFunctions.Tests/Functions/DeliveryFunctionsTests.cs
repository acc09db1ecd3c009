using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using PushFunctions.Delivery;
using PushFunctions.Security;

namespace PushFunctions.Tests.Functions;

public class DeliveryFunctionsTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
{
    private readonly DeliveryFunctions functions = host.Create<DeliveryFunctions>();

    public static TheoryData<string, string> BadSends => new()
    {
        { "{}", "The body must be a JSON object with a 'payload' (any JSON value)." },
        { "", "The body must be a JSON object with a 'payload' (any JSON value)." },
        { """{"payload":1,"from":"bad id"}""", "'from' must be" },
        { """{"payload":""", "The body is not valid JSON of the expected shape" },
        { "[1,2]", "The body is not valid JSON of the expected shape" },
    };

    [Theory]
    [InlineData(nameof(DeliveryFunctions.SendToUser), "sendToUser", new[] { Credential.Server })]
    [InlineData(nameof(DeliveryFunctions.Broadcast), "broadcast", new[] { Credential.Server })]
    [InlineData(nameof(DeliveryFunctions.Sync), "sync", new[] { Credential.Session })]
    public void Each_function_demands_its_credential(string method, string name, Credential[] accepts)
    {
        Assert.Equal(name, Invocation.FunctionNameOf<DeliveryFunctions>(method));
        Assert.Equal(accepts, Invocation.AcceptsOf<DeliveryFunctions>(method));
    }

    [Theory]
    [MemberData(nameof(BadSends))]
    public async Task A_bad_send_to_a_user_is_400_and_nothing_is_stored(string body, string title)
    {
        var result = await functions.SendToUser(Invocation.Request("POST", "/api/users/u1/messages", body), "u1");

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.StartsWith(title, response.ProblemTitle);
    }

    [Theory]
    [MemberData(nameof(BadSends))]
    public async Task A_bad_broadcast_is_400_and_nothing_is_stored(string body, string title)
    {
        var result = await functions.Broadcast(Invocation.Request("POST", "/api/broadcast", body));

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.StartsWith(title, response.ProblemTitle);
    }

    [Fact]
    public async Task A_send_to_an_invalid_user_id_is_400_before_the_body_is_read()
    {
        var result = await functions.SendToUser(Invocation.Request("POST", "/api/users/x/messages", "not json"), "bad id");

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.StartsWith("The userId must be", response.ProblemTitle);
    }

    [Fact]
    public async Task A_payload_over_64_KiB_is_413()
    {
        var body = $$"""{"payload":"{{new string('x', SendValidation.MaxPayloadBytes)}}"}""";

        var result = await functions.SendToUser(Invocation.Request("POST", "/api/users/u1/messages", body), "u1");

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status413PayloadTooLarge, response.Status);
        Assert.Contains("the limit is 65536 bytes", response.ProblemTitle);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tab\tkey")]
    public async Task A_bad_idempotency_key_is_400(string key)
    {
        var request = Invocation.Request("POST", "/api/broadcast", """{"payload":1}""",
            headers: new Dictionary<string, string> { [SendValidation.IdempotencyHeader] = key });

        var result = await functions.Broadcast(request);

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.Equal("The Idempotency-Key header must be 1 to 128 printable characters.", response.ProblemTitle);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_415()
    {
        var result = await functions.Broadcast(Invocation.Request("POST", "/api/broadcast", "<xml/>", contentType: "application/xml"));

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status415UnsupportedMediaType, response.Status);
    }

    [Theory]
    [InlineData("""{"cursors":{"user:u1":"5"}}""")]
    [InlineData("""{"cursors":[1]}""")]
    [InlineData("{")]
    public async Task Sync_with_a_malformed_body_is_400(string body)
    {
        var context = Invocation.Context("sync", caller: Invocation.Session());

        var result = await functions.Sync(Invocation.Request("POST", "/api/sync", body), context.Object);

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.StartsWith("The body is not valid JSON of the expected shape", response.ProblemTitle);
    }

    [Fact]
    public async Task A_body_over_the_request_limit_is_413_even_without_a_length()
    {
        // A chunked body has no Content-Length for the front door to check; the function's read stops at the limit.
        var request = Invocation.Request("POST", "/api/broadcast", "");
        request.Body = new MemoryStream(new byte[RequestBodyLimit + 1]);
        request.ContentLength = null;

        var result = await functions.Broadcast(request);

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status413PayloadTooLarge, response.Status);
    }

    [Fact]
    public async Task A_sync_past_its_session_s_waiting_syncs_is_429_with_Retry_After_and_another_session_s_is_not_held()
    {
        // A burst of 2 (1 per second): the gate holds 2 running and 2 waiting syncs of the session, then refuses.
        using var limited = FunctionTestHost.With(new() { ["RateLimit:SessionPerSecond"] = "1" });
        var gate = limited.Services.GetRequiredService<SyncGate>();
        var held = new[] { await gate.EnterAsync("s1", default), await gate.EnterAsync("s1", default) };
        var waiting = new[] { gate.EnterAsync("s1", default).AsTask(), gate.EnterAsync("s1", default).AsTask() };
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        var request = Invocation.Request("POST", "/api/sync", "{}");
        request.HttpContext.RequestServices = limited.Services;
        request.HttpContext.Response.Body = new MemoryStream();

        var result = await limited.Create<DeliveryFunctions>().Sync(request, Invocation.Context("sync", caller: Invocation.Session(sessionId: "s1")).Object);

        await result.Result.ExecuteAsync(request.HttpContext);
        var response = await Response.ReadAsync(request.HttpContext);
        Assert.Equal(StatusCodes.Status429TooManyRequests, response.Status);
        Assert.StartsWith("More than 2 of this session's syncs are running", response.ProblemTitle);
        Assert.Equal("1", response.Headers.RetryAfter.ToString());
        using (var other = await gate.EnterAsync("s2", default)) Assert.True(other.IsAcquired, "another session has its own turns");
        held[0].Dispose();
        using (var first = await waiting[0]) Assert.True(first.IsAcquired, "a finished sync lets the oldest waiting one in");
        held[1].Dispose();
        using var second = await waiting[1];
        Assert.True(second.IsAcquired);
    }

    private const int RequestBodyLimit = (int)PushFunctions.Http.RequestSizeMiddleware.MaxBodyBytes;
}
