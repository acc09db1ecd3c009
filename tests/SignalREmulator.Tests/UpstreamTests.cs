using System.Text.Json;
using SignalREmulator.Tests.Support;
using SignalREmulator.Upstream;
using Microsoft.AspNetCore.SignalR;

namespace SignalREmulator.Tests;

public sealed class UpstreamTests
{
    private const string SpecKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
    private const string SpecSignature = "sha256=8DE7281E588E23B0A30A7180FFA240257B8176E983004C240C9F3F7A7233C993";

    [Fact]
    public void Signature_matches_the_spec_test_vector()
    {
        Assert.Equal(SpecSignature, UpstreamSignature.Compute(SpecKey, "conn1"));
        Assert.Equal(SpecSignature + "," + UpstreamSignature.Compute("second", "conn1"), UpstreamSignature.Header([SpecKey, "second"], "conn1"));
    }

    [Fact]
    public void Url_template_placeholders_are_replaced_with_escaped_values_and_first_matching_rule_wins()
    {
        var settings = new UpstreamSettings(
        [
            new UpstreamRule("http://a/{hub}/{category}/{event}", EventPattern: "connected, disconnected"),
            new UpstreamRule("http://b/{hub}/{event}"),
        ]);
        Assert.Equal("http://a/chat/connections/connected", settings.UrlFor("chat", "connections", "connected"));
        Assert.Equal("http://b/chat/say%20hi%2F", settings.UrlFor("chat", "messages", "say hi/"));
    }

    [Fact]
    public async Task Connected_and_disconnected_are_posted_in_order_with_the_service_headers_and_signature()
    {
        await using var receiver = await UpstreamReceiver.StartAsync();
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { SecondaryAccessKeys = ["secondary-key"] });
        host.UpstreamTemplate = receiver.Template; // set after start, as the app's port is known only later
        using var emulator = new EmulatorClient(host);

        var hub = EmulatorClient.Unique("Hub");
        var client = await emulator.ConnectAsync(hub, "u1", [new("pf.sid", "abc")]);
        var connectionId = client.ConnectionId;
        var connected = await receiver.WaitForAsync(r => r.Header("X-ASRS-Event") == "connected" && r.Header("X-ASRS-Connection-Id") == connectionId);
        await client.DisposeAsync();
        var disconnected = await receiver.WaitForAsync(r => r.Header("X-ASRS-Event") == "disconnected" && r.Header("X-ASRS-Connection-Id") == connectionId);

        var lowerHub = hub.ToLowerInvariant();
        Assert.Equal($"/upstream/{lowerHub}/connections/connected", connected.Path);
        Assert.Equal($"/upstream/{lowerHub}/connections/disconnected", disconnected.Path);
        Assert.Equal(10, JsonDocument.Parse(connected.Body).RootElement.GetProperty("type").GetInt32());
        Assert.Equal(11, JsonDocument.Parse(disconnected.Body).RootElement.GetProperty("type").GetInt32());
        var order = receiver.Received.Where(r => r.Header("X-ASRS-Connection-Id") == connectionId).Select(r => r.Header("X-ASRS-Event")).ToList();
        Assert.Equal(["connected", "disconnected"], order);

        Assert.Equal(lowerHub, connected.Header("X-ASRS-Hub"));
        Assert.Equal("connections", connected.Header("X-ASRS-Category"));
        Assert.Equal("u1", connected.Header("X-ASRS-User-Id"));
        Assert.Contains("asrs.s.uid: u1", connected.Header("X-ASRS-User-Claims"));
        Assert.Contains("pf.sid: abc", connected.Header("X-ASRS-User-Claims"));
        Assert.StartsWith($"?hub={hub}", connected.Header("X-ASRS-Client-Query"));
        Assert.DoesNotContain("access_token", connected.Header("X-ASRS-Client-Query"));
        Assert.StartsWith("application/json", connected.Header("Content-Type"));

        // The receiver verifies the signature the way the Functions extension does: split on ',', any value matches.
        var values = connected.Header("X-ASRS-Signature").Split(',');
        Assert.Equal(2, values.Length);
        Assert.Contains(UpstreamSignature.Compute(SpecKey, connectionId), values);
        Assert.Contains(UpstreamSignature.Compute("secondary-key", connectionId), values);
        Assert.Equal(connected.Header("X-ASRS-Signature"), disconnected.Header("X-ASRS-Signature"));
    }

    [Fact]
    public async Task Client_invocations_are_posted_as_messages_and_answers_become_completions()
    {
        await using var receiver = await UpstreamReceiver.StartAsync();
        receiver.Respond = request => request.Header("X-ASRS-Event") switch
        {
            "add" => (200, JsonSerializer.Deserialize<JsonElement>(request.Body).GetProperty("invocationId").GetString() is { } id
                ? $"{{\"type\":3,\"invocationId\":\"{id}\",\"result\":42}}\u001e" : null),
            "fail" => (500, null),
            "nothing" => (204, null),
            _ => (200, null),
        };
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { UpstreamTemplate = receiver.Template });
        using var emulator = new EmulatorClient(host);
        var hub = EmulatorClient.Unique("hub");
        await using var client = await emulator.ConnectAsync(hub, "u1");

        await client.SendAsync("broadcast", "hi", 1);
        var message = await receiver.WaitForAsync(r => r.Header("X-ASRS-Event") == "broadcast");
        Assert.Equal($"/upstream/{hub}/messages/broadcast", message.Path);
        Assert.Equal("messages", message.Header("X-ASRS-Category"));
        using var body = JsonDocument.Parse(message.Body);
        Assert.Equal(1, body.RootElement.GetProperty("type").GetInt32());
        Assert.Equal("broadcast", body.RootElement.GetProperty("target").GetString());
        Assert.Equal("hi", body.RootElement.GetProperty("arguments")[0].GetString());
        Assert.False(body.RootElement.TryGetProperty("invocationId", out _));
        Assert.DoesNotContain('\u001e', message.Body);

        Assert.Equal(42, (await client.InvokeAsync("add", 40, 2)).GetInt32());
        Assert.Equal(JsonValueKind.Undefined, (await client.InvokeAsync("nothing")).ValueKind);
        var error = await Assert.ThrowsAsync<HubException>(() => client.InvokeAsync("fail"));
        Assert.Contains("500", error.Message);
    }

    [Fact]
    public async Task Invocation_without_a_configured_upstream_fails_instead_of_hanging()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions());
        using var emulator = new EmulatorClient(host);
        await using var client = await emulator.ConnectAsync(EmulatorClient.Unique("hub"), "u1");
        await Assert.ThrowsAsync<HubException>(() => client.InvokeAsync("anything").WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Unreachable_upstream_is_counted_and_does_not_affect_the_connection()
    {
        // A port nobody listens on: take a free one from a receiver and stop it.
        var dead = await UpstreamReceiver.StartAsync();
        var template = dead.Template;
        await dead.DisposeAsync();

        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { UpstreamTemplate = template });
        using var emulator = new EmulatorClient(host);
        var hub = EmulatorClient.Unique("hub");
        await using var client = await emulator.ConnectAsync(hub, "u1");
        await Assert.ThrowsAsync<HubException>(() => client.InvokeAsync("x").WaitAsync(TimeSpan.FromSeconds(20)));

        await emulator.SendAsync($"/api/hubs/{hub}/:send", "still-works");
        await client.WaitForAsync("still-works");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (host.Stats.UpstreamFailed < 2 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(host.Stats.UpstreamFailed >= 2); // the connected event and the invocation
    }

    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    [InlineData(429)]
    [InlineData(408)]
    public async Task A_connection_event_the_upstream_refuses_is_tried_once_and_lost_as_the_service_does(int status)
    {
        await using var receiver = await UpstreamReceiver.StartAsync();
        receiver.Respond = request => request.Header("X-ASRS-Event") == "connected" ? (status, null) : (200, null);
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions());
        host.UpstreamTemplate = receiver.Template;
        using var emulator = new EmulatorClient(host);
        var hub = EmulatorClient.Unique("hub");

        var client = await emulator.ConnectAsync(hub, "u1");
        await receiver.WaitForAsync(r => r.Header("X-ASRS-Event") == "connected");
        await client.DisposeAsync();
        // The disconnected event comes after on the same ordered queue: by then any retry would have been sent.
        await receiver.WaitForAsync(r => r.Header("X-ASRS-Event") == "disconnected");

        Assert.Single(receiver.Received, r => r.Header("X-ASRS-Event") == "connected");
        Assert.Equal(1, host.Stats.UpstreamFailed);
    }
}
