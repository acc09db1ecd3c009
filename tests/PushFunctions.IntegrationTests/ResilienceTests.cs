using System.Net;
using PushFunctions.IntegrationTests.Support;
using SignalREmulator.Admin;

namespace PushFunctions.IntegrationTests;

/// <summary>Redis going away and coming back, and SignalR Service failing: the stream is the truth.</summary>
[Collection(SystemCollection.Name)]
public sealed class ResilienceTests(PushSystem system)
{
    /// <summary>How long the app may take to use a restarted Redis again (its reconnect backoff is at most 2 s).</summary>
    private static readonly TimeSpan RecoveryWait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Redis_down_gives_503_with_Retry_After_and_sends_succeed_again_after_Redis_restarts_on_the_same_port()
    {
        // Its own Redis and app instance, so stopping Redis disturbs no other test.
        await using var redis = await RedisServer.StartAsync();
        var keys = PushKeys.Random();
        await using var app = await PushAppHost.StartAsync(redis.ConnectionString, system.Emulator.ConnectionString, keys);
        var api = new PushApi(system.Http, app.Url, keys);
        var userId = PushSystem.NewId("redis");

        await api.SendToUserAsync(userId, "{\"before\":true}");
        var healthy = await api.CallAsync(HttpMethod.Get, "/api/health", Credential.None);
        Assert.True(healthy.Status == HttpStatusCode.OK, healthy.ToString());

        await redis.StopAsync();
        Assert.False(await redis.PingAsync());

        var send = await api.SendToUserRawAsync(userId, "{\"during\":true}");
        ProblemAssert.Problem(send, 503, "send while Redis is down");
        Assert.True(send.Headers.RetryAfter is not null, $"no Retry-After on {send}");

        var login = await api.ServerAsync(HttpMethod.Post, "/api/login", new { userId, userName = "n" });
        ProblemAssert.Problem(login, 503, "login while Redis is down");
        Assert.True(login.Headers.RetryAfter is not null, $"no Retry-After on {login}");

        var health = await api.CallAsync(HttpMethod.Get, "/api/health", Credential.None);
        Assert.True(health.Status == HttpStatusCode.ServiceUnavailable, $"health while Redis is down: {health}");
        Assert.Contains("\"redis\":\"down\"", health.Body.Replace(" ", ""), StringComparison.OrdinalIgnoreCase);

        await redis.StartAsync();
        Assert.True(await redis.PingAsync());

        // The same app instance recovers by itself.
        var deadline = DateTime.UtcNow + RecoveryWait;
        ApiResponse last;
        while (true)
        {
            last = await api.SendToUserRawAsync(userId, "{\"after\":true}");
            if (last.Status == HttpStatusCode.Accepted || DateTime.UtcNow > deadline) break;
            Assert.True(last.Code is 503, $"while Redis comes back, a send must be 202 or 503, not {last}");
            await Task.Delay(250);
        }
        Assert.True(last.Status == HttpStatusCode.Accepted, $"no send succeeded within {RecoveryWait} of Redis restarting: {last}\napp log:\n{app.Logs.Tail()}");

        // And everything else that needs Redis works again: sign-in and sync see the message sent after the restart.
        var session = await api.LoginAsync(userId);
        var messages = PushApi.Messages(await api.SyncAsync(session), "user:" + userId);
        Assert.Contains(messages, m => m.GetProperty("payload").TryGetProperty("after", out _));
        var healthAfter = await api.CallAsync(HttpMethod.Get, "/api/health", Credential.None);
        Assert.True(healthAfter.Status == HttpStatusCode.OK, healthAfter.ToString());
    }

    public static TheoryData<string> RestFaults() => Cases.Of("REST answers 503", "REST connection reset");

    [Theory]
    [MemberData(nameof(RestFaults))]
    public async Task SignalR_REST_failure_still_accepts_the_send_and_the_message_is_in_sync(string fault)
    {
        var api = system.Api;
        var userId = PushSystem.NewId("fault");
        Sent sent;
        system.Emulator.Faults.Set(fault == "REST answers 503" ? new FaultSettings { RestStatus = 503 } : new FaultSettings { RestDown = true });
        try
        {
            sent = await api.SendToUserAsync(userId, "{\"through\":\"the stream\"}");
        }
        finally
        {
            system.Emulator.Faults.Reset();
        }

        var session = await api.LoginAsync(userId);
        var message = Assert.Single(PushApi.Messages(await api.SyncAsync(session), "user:" + userId));
        Assert.Equal(sent.Id, message.GetProperty("id").GetString());
        Assert.Equal(sent.Seq, message.GetProperty("seq").GetInt64());
        Assert.Equal("the stream", message.GetProperty("payload").GetProperty("through").GetString());
    }

    [Fact]
    public async Task Fault_set_through_the_admin_route_is_survived_too()
    {
        var api = system.Api;
        var userId = PushSystem.NewId("admin");
        var put = await system.Http.PutAsync(system.Emulator.Url + "/_emulator/faults",
            new StringContent("{\"restStatus\":503}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Sent sent;
        try
        {
            sent = await api.SendToUserAsync(userId, "{\"admin\":1}");
        }
        finally
        {
            await system.Http.DeleteAsync(system.Emulator.Url + "/_emulator/faults");
        }
        var session = await api.LoginAsync(userId);
        Assert.Equal(sent.Id, Assert.Single(PushApi.Messages(await api.SyncAsync(session), "user:" + userId)).GetProperty("id").GetString());
    }
}
