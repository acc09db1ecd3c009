using System.Net;
using SignalREmulator.Tests.Support;

namespace SignalREmulator.Tests;

public sealed class DeliveryTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorClient _emulator = fixture.Client;

    [Fact]
    public async Task Send_to_user_reaches_every_connection_of_that_user_and_no_one_else()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var aliceTab1 = await _emulator.ConnectAsync(hub, "alice");
        await using var aliceTab2 = await _emulator.ConnectAsync(hub, "alice");
        await using var bob = await _emulator.ConnectAsync(hub, "bob");
        await using var anonymous = await _emulator.ConnectAsync(hub, null);

        var response = await _emulator.SendAsync($"/api/hubs/{hub}/users/alice/:send", "private", "for alice", 42);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var first = await aliceTab1.WaitForAsync("private");
        await aliceTab2.WaitForAsync("private");
        Assert.Equal("for alice", first.Argument(0).GetString());
        Assert.Equal(42, first.Argument(1).GetInt32());

        // Messages to one connection arrive in order: once the marker is in, "private" would have been too.
        foreach (var other in new[] { bob, anonymous })
        {
            await _emulator.SendAsync($"/api/hubs/{hub}/connections/{other.ConnectionId}/:send", "marker");
            await other.WaitForAsync("marker");
            Assert.False(other.HasReceived("private"));
        }
    }

    [Fact]
    public async Task User_ids_are_case_sensitive()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var lower = await _emulator.ConnectAsync(hub, "carol");
        await _emulator.SendAsync($"/api/hubs/{hub}/users/Carol/:send", "wrong-case");
        await _emulator.SendAsync($"/api/hubs/{hub}/users/carol/:send", "right-case");
        await lower.WaitForAsync("right-case");
        Assert.False(lower.HasReceived("wrong-case"));
    }

    [Fact]
    public async Task Broadcast_reaches_every_connection_of_the_hub_except_excluded_ones()
    {
        var hub = EmulatorClient.Unique("hub");
        var otherHub = EmulatorClient.Unique("hub");
        await using var a = await _emulator.ConnectAsync(hub, "a");
        await using var b = await _emulator.ConnectAsync(hub, "b");
        await using var c = await _emulator.ConnectAsync(hub, "c");
        await using var elsewhere = await _emulator.ConnectAsync(otherHub, "a");

        var response = await _emulator.SendAsync($"/api/hubs/{hub}/:send?excluded={b.ConnectionId}&excluded={c.ConnectionId}", "news", new { text = "hi" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await _emulator.SendAsync($"/api/hubs/{hub}/:send", "marker");

        var news = await a.WaitForAsync("news");
        Assert.Equal("hi", news.Argument(0).GetProperty("text").GetString());
        foreach (var excluded in new[] { b, c })
        {
            await excluded.WaitForAsync("marker");
            Assert.False(excluded.HasReceived("news"));
        }
        await _emulator.SendAsync($"/api/hubs/{otherHub}/:send", "marker");
        await elsewhere.WaitForAsync("marker");
        Assert.False(elsewhere.HasReceived("news"));
    }

    [Fact]
    public async Task Hub_names_are_case_insensitive()
    {
        var hub = EmulatorClient.Unique("Hub");
        await using var client = await _emulator.ConnectAsync(hub, "u1");
        await _emulator.SendAsync($"/api/hubs/{hub.ToUpperInvariant()}/:send", "hello");
        await client.WaitForAsync("hello");
    }

    [Fact]
    public async Task Payload_property_names_are_case_insensitive_and_arguments_optional()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var client = await _emulator.ConnectAsync(hub, "u1");
        var response = await _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/{hub}/:send?{EmulatorClient.ApiVersion}", """{"Target":"pascal","Arguments":[1,"two",{"three":3}]}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/{hub}/:send?{EmulatorClient.ApiVersion}", """{"target":"bare"}""");

        var pascal = await client.WaitForAsync("pascal");
        Assert.Equal(3, pascal.ArgumentCount);
        Assert.Equal(3, pascal.Argument(2).GetProperty("three").GetInt32());
        Assert.Equal(0, (await client.WaitForAsync("bare")).ArgumentCount);
    }

    [Theory]
    [InlineData("""{"arguments":[1]}""")]
    [InlineData("""{"target":"","arguments":[1]}""")]
    [InlineData("""{"target":"t","arguments":{"not":"an array"}}""")]
    [InlineData("""not json""")]
    [InlineData("")]
    public async Task Send_without_a_valid_target_or_body_is_400(string body)
    {
        using var response = await _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/chat/:send?{EmulatorClient.ApiVersion}", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Send_with_a_body_over_one_megabyte_is_413()
    {
        var big = new string('x', 1024 * 1024);
        using var response = await _emulator.SendAsync("/api/hubs/chat/:send", "big", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Send_of_almost_one_megabyte_is_delivered()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var client = await _emulator.ConnectAsync(hub, "u1");
        var big = new string('x', 1000 * 1000);
        using var response = await _emulator.SendAsync($"/api/hubs/{hub}/:send", "big", big);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(big.Length, (await client.WaitForAsync("big")).Argument(0).GetString()!.Length);
    }

    [Fact]
    public async Task Sends_to_absent_targets_are_accepted()
    {
        var hub = EmulatorClient.Unique("nobody");
        foreach (var path in new[] { $"/api/hubs/{hub}/:send", $"/api/hubs/{hub}/users/ghost/:send", $"/api/hubs/{hub}/groups/ghosts/:send", $"/api/hubs/{hub}/connections/ghost/:send" })
        {
            using var response = await _emulator.SendAsync(path, "t");
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
    }

    [Fact]
    public async Task Send_to_connection_reaches_only_that_connection()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var one = await _emulator.ConnectAsync(hub, "same");
        await using var two = await _emulator.ConnectAsync(hub, "same");
        await _emulator.SendAsync($"/api/hubs/{hub}/connections/{one.ConnectionId}/:send", "direct");
        await one.WaitForAsync("direct");
        await _emulator.SendAsync($"/api/hubs/{hub}/connections/{two.ConnectionId}/:send", "marker");
        await two.WaitForAsync("marker");
        Assert.False(two.HasReceived("direct"));
    }

    [Fact]
    public async Task Legacy_v1_paths_send_without_api_version()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var client = await _emulator.ConnectAsync(hub, "u1");
        using var response = await _emulator.RestAsync(HttpMethod.Post, $"/api/v1/hubs/{hub}/users/u1", """{"target":"legacy","arguments":[]}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await client.WaitForAsync("legacy");
    }
}
