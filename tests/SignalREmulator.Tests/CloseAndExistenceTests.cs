using System.Net;
using SignalREmulator.Tests.Support;

namespace SignalREmulator.Tests;

public sealed class CloseAndExistenceTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private readonly EmulatorClient _emulator = fixture.Client;

    private Task<HttpResponseMessage> Rest(HttpMethod method, string path) =>
        _emulator.RestAsync(method, path + (path.Contains('?') ? "&" : "?") + EmulatorClient.ApiVersion);

    [Fact]
    public async Task Closing_a_connection_sends_Close_with_the_reason_and_ends_it()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var client = await _emulator.ConnectRawAsync(hub, "u1");
        await _emulator.SendAsync($"/api/hubs/{hub}/users/u1/:send", "before-close");

        using var response = await Rest(HttpMethod.Delete, $"/api/hubs/{hub}/connections/{client.ConnectionId}?reason=logged_out");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var closed = await client.Closed.WaitAsync(Generous);
        Assert.True(closed.ReceivedCloseMessage);
        Assert.Equal("logged_out", closed.Error);
        Assert.True(closed.AllowReconnect);
        Assert.True(client.HasReceived("before-close")); // queued messages go out before the Close
        Assert.Equal(HttpStatusCode.NotFound, (await Rest(HttpMethod.Head, $"/api/hubs/{hub}/connections/{client.ConnectionId}")).StatusCode);
    }

    [Fact]
    public async Task Closing_a_users_connections_honours_excluded()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var keep = await _emulator.ConnectAsync(hub, "u1");
        await using var drop = await _emulator.ConnectAsync(hub, "u1");
        await using var other = await _emulator.ConnectAsync(hub, "u2");

        using var response = await Rest(HttpMethod.Post, $"/api/hubs/{hub}/users/u1/:closeConnections?excluded={keep.ConnectionId}&reason=kicked");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        // The real client reports the Close frame's error in the exception it closes with.
        Assert.EndsWith("kicked", (await drop.Closed.WaitAsync(Generous))?.Message);
        await _emulator.SendAsync($"/api/hubs/{hub}/:send", "still-here");
        await keep.WaitForAsync("still-here");
        await other.WaitForAsync("still-here");
    }

    [Fact]
    public async Task Closing_a_group_and_a_hub_closes_their_connections()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var member = await _emulator.ConnectRawAsync(hub, "m");
        await using var outsider = await _emulator.ConnectRawAsync(hub, "o");
        await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/m/groups/g");

        Assert.Equal(HttpStatusCode.NoContent, (await Rest(HttpMethod.Post, $"/api/hubs/{hub}/groups/g/:closeConnections?reason=room_closed")).StatusCode);
        Assert.Equal("room_closed", (await member.Closed.WaitAsync(Generous)).Error);
        Assert.False(outsider.Closed.IsCompleted);

        Assert.Equal(HttpStatusCode.NoContent, (await Rest(HttpMethod.Post, $"/api/hubs/{hub}/:closeConnections")).StatusCode);
        var closed = await outsider.Closed.WaitAsync(Generous);
        Assert.True(closed.ReceivedCloseMessage);
        Assert.Null(closed.Error);
    }

    [Fact]
    public async Task Existence_checks_answer_200_or_404_with_the_documented_error_codes()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var client = await _emulator.ConnectAsync(hub, "present");
        await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/present/groups/g");

        foreach (var method in new[] { HttpMethod.Head, HttpMethod.Get })
        {
            Assert.Equal(HttpStatusCode.OK, (await Rest(method, $"/api/hubs/{hub}/connections/{client.ConnectionId}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Rest(method, $"/api/hubs/{hub}/users/present")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Rest(method, $"/api/hubs/{hub}/groups/g")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Rest(method, $"/api/hubs/{hub}/users/present/groups/g")).StatusCode);

            await AssertMissing(method, $"/api/hubs/{hub}/connections/nope", "Warning.Connection.NotExisted");
            await AssertMissing(method, $"/api/hubs/{hub}/users/absent", "Warning.User.NotExisted");
            await AssertMissing(method, $"/api/hubs/{hub}/groups/empty", "Warning.Group.NotExisted");
            await AssertMissing(method, $"/api/hubs/{hub}/users/present/groups/other", "Info.User.NotInGroup");
        }
    }

    [Fact]
    public async Task User_stops_existing_when_their_last_connection_closes()
    {
        var hub = EmulatorClient.Unique("hub");
        var client = await _emulator.ConnectAsync(hub, "leaving");
        Assert.Equal(HttpStatusCode.OK, (await Rest(HttpMethod.Head, $"/api/hubs/{hub}/users/leaving")).StatusCode);
        await client.DisposeAsync();

        var deadline = DateTime.UtcNow + Generous;
        HttpStatusCode status;
        while ((status = (await Rest(HttpMethod.Head, $"/api/hubs/{hub}/users/leaving")).StatusCode) == HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    private async Task AssertMissing(HttpMethod method, string path, string errorCode)
    {
        using var response = await Rest(method, path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(errorCode, response.Headers.GetValues("x-ms-error-code").Single());
    }
}
