using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SignalREmulator.Admin;
using SignalREmulator.Tests.Support;

namespace SignalREmulator.Tests;

/// <summary>Faults are emulator-wide, so each test here runs its own emulator.</summary>
public sealed class FaultAndStatsTests
{
    [Fact]
    public async Task Rest_status_fault_answers_that_status_until_cleared()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions());
        using var emulator = new EmulatorClient(host);

        using var put = await emulator.Http.PutAsync(host.Url + "/_emulator/faults", JsonContent.Create(new { restStatus = 503 }));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await emulator.SendAsync("/api/hubs/chat/:send", "t")).StatusCode);

        using var delete = await emulator.Http.DeleteAsync(host.Url + "/_emulator/faults");
        Assert.Equal(HttpStatusCode.Accepted, (await emulator.SendAsync("/api/hubs/chat/:send", "t")).StatusCode);
    }

    [Fact]
    public async Task Rest_down_fault_resets_the_connection()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions());
        using var emulator = new EmulatorClient(host);
        host.Faults.Set(new FaultSettings { RestDown = true });

        await Assert.ThrowsAsync<HttpRequestException>(() => emulator.SendAsync("/api/hubs/chat/:send", "t"));

        host.Faults.Reset();
        Assert.Equal(HttpStatusCode.Accepted, (await emulator.SendAsync("/api/hubs/chat/:send", "t")).StatusCode);
    }

    [Fact]
    public async Task Dropped_upstream_events_are_not_delivered_and_are_counted()
    {
        await using var receiver = await UpstreamReceiver.StartAsync();
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { UpstreamTemplate = receiver.Template });
        using var emulator = new EmulatorClient(host);
        using var put = await emulator.Http.PutAsync(host.Url + "/_emulator/faults",
            JsonContent.Create(new { dropUpstream = new[] { new { @event = "disconnected", userId = "victim" } } }));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);

        var hub = EmulatorClient.Unique("hub");
        var victim = await emulator.ConnectAsync(hub, "victim");
        var bystander = await emulator.ConnectAsync(hub, "bystander");
        var victimId = victim.ConnectionId;
        await receiver.WaitForAsync(r => r.Header("X-ASRS-Connection-Id") == victimId && r.Header("X-ASRS-Event") == "connected");
        await victim.DisposeAsync();
        await bystander.DisposeAsync();

        // The drop is counted when the victim's disconnected event is handled, so once counted it can no longer arrive.
        await receiver.WaitForAsync(r => r.Header("X-ASRS-User-Id") == "bystander" && r.Header("X-ASRS-Event") == "disconnected");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (host.Stats.UpstreamDropped < 1 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(1, host.Stats.UpstreamDropped);
        Assert.DoesNotContain(receiver.Received, r => r.Header("X-ASRS-Connection-Id") == victimId && r.Header("X-ASRS-Event") == "disconnected");
    }

    [Fact]
    public void A_drop_rule_with_a_share_drops_about_that_share_of_its_events()
    {
        var faults = new Faults();
        faults.Set(new FaultSettings { DropUpstream = [new UpstreamDropRule("connected", Share: 0.3)] });

        var dropped = Enumerable.Range(0, 10_000).Count(_ => faults.DropsUpstream("connected", "u1"));

        Assert.InRange(dropped, 2_500, 3_500); // 3,000 expected; outside this range once in ~10^25 runs
        Assert.False(faults.DropsUpstream("disconnected", "u1"));
    }

    [Fact]
    public async Task Stats_count_rest_calls_by_operation_connections_and_upstream()
    {
        await using var receiver = await UpstreamReceiver.StartAsync();
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { UpstreamTemplate = receiver.Template });
        using var emulator = new EmulatorClient(host);
        await using var client = await emulator.ConnectAsync("chat", "u1");
        await receiver.WaitForAsync(r => r.Header("X-ASRS-Event") == "connected");

        await emulator.SendAsync("/api/hubs/chat/:send", "t");
        await emulator.SendAsync("/api/hubs/chat/users/u1/:send", "t");
        await emulator.SendAsync("/api/hubs/chat/users/u1/:send", "t");
        await emulator.Http.GetAsync(host.Url + "/api/health");

        var stats = await emulator.Http.GetFromJsonAsync<JsonElement>(host.Url + "/_emulator/stats");
        Assert.Equal(3, stats.GetProperty("restCalls").GetInt64()); // health checks are not counted as work
        Assert.Equal(1, stats.GetProperty("restCallsByOperation").GetProperty("sendToHub").GetInt64());
        Assert.Equal(2, stats.GetProperty("restCallsByOperation").GetProperty("sendToUser").GetInt64());
        Assert.Equal(1, stats.GetProperty("connections").GetInt32());
        Assert.True(stats.GetProperty("upstream").GetProperty("sent").GetInt64() >= 1);
        Assert.Equal(0, stats.GetProperty("upstream").GetProperty("failed").GetInt64());
        Assert.Equal(2, host.Stats.RestCallsFor("sendToUser"));

        using var reset = await emulator.Http.DeleteAsync(host.Url + "/_emulator/stats");
        Assert.Equal(0, host.Stats.RestCalls);
    }
}
