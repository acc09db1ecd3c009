using System.Net;
using SignalREmulator.Tests.Support;

namespace SignalREmulator.Tests;

public sealed class GroupTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorClient _emulator = fixture.Client;

    private Task<HttpResponseMessage> Rest(HttpMethod method, string path) =>
        _emulator.RestAsync(method, path + (path.Contains('?') ? "&" : "?") + EmulatorClient.ApiVersion);

    [Fact]
    public async Task User_added_to_a_group_before_anyone_connected_to_the_hub_gets_group_messages_after_connecting()
    {
        var hub = EmulatorClient.Unique("fresh"); // no client has ever connected to this hub
        using var add = await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/dora/groups/room1");
        Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Rest(HttpMethod.Head, $"/api/hubs/{hub}/users/dora/groups/room1")).StatusCode);

        await using var dora = await _emulator.ConnectAsync(hub, "dora");
        await _emulator.SendAsync($"/api/hubs/{hub}/groups/room1/:send", "room", "hello room");
        Assert.Equal("hello room", (await dora.WaitForAsync("room")).Argument(0).GetString());
    }

    [Fact]
    public async Task User_membership_applies_to_current_and_later_connections()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var before = await _emulator.ConnectAsync(hub, "erin");
        await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/erin/groups/g");
        await using var after = await _emulator.ConnectAsync(hub, "erin");

        await _emulator.SendAsync($"/api/hubs/{hub}/groups/g/:send", "grouped");
        await before.WaitForAsync("grouped");
        await after.WaitForAsync("grouped");
    }

    [Fact]
    public async Task With_a_state_file_user_memberships_outlive_a_restart_as_the_service_keeps_them()
    {
        var stateFile = Path.Combine(Path.GetTempPath(), "emulator-state-" + Guid.NewGuid().ToString("N") + ".json");
        var hub = EmulatorClient.Unique("hub");
        try
        {
            await using (var first = await EmulatorHost.StartAsync(new EmulatorOptions { StateFile = stateFile }))
            {
                using var client = new EmulatorClient(first);
                foreach (var group in new[] { "kept", "left", "timed" })
                    (await client.RestAsync(HttpMethod.Put, $"/api/hubs/{hub}/users/gil/groups/{group}?{EmulatorClient.ApiVersion}" + (group == "timed" ? "&ttl=3600" : ""))).EnsureSuccessStatusCode();
                (await client.RestAsync(HttpMethod.Delete, $"/api/hubs/{hub}/users/gil/groups/left?{EmulatorClient.ApiVersion}")).EnsureSuccessStatusCode();
            }

            await using var second = await EmulatorHost.StartAsync(new EmulatorOptions { StateFile = stateFile });
            using var again = new EmulatorClient(second);
            await using var gil = await again.ConnectAsync(hub, "gil");
            // One connection, sends in order: had "left" been kept, it would arrive before "timed".
            foreach (var group in new[] { "kept", "left", "timed" }) await again.SendAsync($"/api/hubs/{hub}/groups/{group}/:send", group);
            await gil.WaitForAsync("kept");
            await gil.WaitForAsync("timed");
            Assert.False(gil.HasReceived("left"));
        }
        finally
        {
            File.Delete(stateFile);
        }
    }

    [Fact]
    public async Task Ttl_zero_adds_only_the_users_current_connections()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var current = await _emulator.ConnectAsync(hub, "finn");
        using var add = await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/finn/groups/g?ttl=0");
        Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        await using var later = await _emulator.ConnectAsync(hub, "finn");

        await _emulator.SendAsync($"/api/hubs/{hub}/groups/g/:send", "grouped");
        await current.WaitForAsync("grouped");
        await _emulator.SendAsync($"/api/hubs/{hub}/connections/{later.ConnectionId}/:send", "marker");
        await later.WaitForAsync("marker");
        Assert.False(later.HasReceived("grouped"));
    }

    [Fact]
    public async Task Removing_a_user_from_a_group_stops_group_messages_to_all_their_connections()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var gus = await _emulator.ConnectAsync(hub, "gus");
        await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/gus/groups/g");
        using var remove = await Rest(HttpMethod.Delete, $"/api/hubs/{hub}/users/gus/groups/g");
        Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        await using var later = await _emulator.ConnectAsync(hub, "gus");

        await _emulator.SendAsync($"/api/hubs/{hub}/groups/g/:send", "grouped");
        await _emulator.SendAsync($"/api/hubs/{hub}/users/gus/:send", "marker");
        await gus.WaitForAsync("marker");
        await later.WaitForAsync("marker");
        Assert.False(gus.HasReceived("grouped"));
        Assert.False(later.HasReceived("grouped"));
        Assert.Equal(HttpStatusCode.NotFound, (await Rest(HttpMethod.Head, $"/api/hubs/{hub}/users/gus/groups/g")).StatusCode);
    }

    [Fact]
    public async Task Removing_a_user_from_all_groups_removes_memberships_and_connections()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var hal = await _emulator.ConnectAsync(hub, "hal");
        await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/hal/groups/g1");
        await Rest(HttpMethod.Put, $"/api/hubs/{hub}/groups/g2/connections/{hal.ConnectionId}");
        using var remove = await Rest(HttpMethod.Delete, $"/api/hubs/{hub}/users/hal/groups");
        Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);

        await _emulator.SendAsync($"/api/hubs/{hub}/groups/g1/:send", "grouped");
        await _emulator.SendAsync($"/api/hubs/{hub}/groups/g2/:send", "grouped");
        await _emulator.SendAsync($"/api/hubs/{hub}/users/hal/:send", "marker");
        await hal.WaitForAsync("marker");
        Assert.False(hal.HasReceived("grouped"));
    }

    [Fact]
    public async Task Connection_group_membership_add_and_remove()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var ivy = await _emulator.ConnectAsync(hub, "ivy");
        using var add = await Rest(HttpMethod.Put, $"/api/hubs/{hub}/groups/g/connections/{ivy.ConnectionId}");
        Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        await _emulator.SendAsync($"/api/hubs/{hub}/groups/g/:send", "first");
        await ivy.WaitForAsync("first");

        using var remove = await Rest(HttpMethod.Delete, $"/api/hubs/{hub}/groups/g/connections/{ivy.ConnectionId}");
        Assert.Equal(HttpStatusCode.OK, remove.StatusCode);
        await _emulator.SendAsync($"/api/hubs/{hub}/groups/g/:send", "second");
        await _emulator.SendAsync($"/api/hubs/{hub}/connections/{ivy.ConnectionId}/:send", "marker");
        await ivy.WaitForAsync("marker");
        Assert.False(ivy.HasReceived("second"));
    }

    [Fact]
    public async Task Removing_a_connection_from_all_groups()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var jo = await _emulator.ConnectAsync(hub, "jo");
        await Rest(HttpMethod.Put, $"/api/hubs/{hub}/groups/a/connections/{jo.ConnectionId}");
        await Rest(HttpMethod.Put, $"/api/hubs/{hub}/groups/b/connections/{jo.ConnectionId}");
        using var remove = await Rest(HttpMethod.Delete, $"/api/hubs/{hub}/connections/{jo.ConnectionId}/groups");
        Assert.Equal(HttpStatusCode.OK, remove.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Rest(HttpMethod.Head, $"/api/hubs/{hub}/groups/a")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Rest(HttpMethod.Head, $"/api/hubs/{hub}/groups/b")).StatusCode);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Group_membership_change_for_an_unknown_connection_is_404_with_error_code(string method)
    {
        var hub = EmulatorClient.Unique("hub");
        await using var someone = await _emulator.ConnectAsync(hub, "someone"); // the hub exists; the connection does not
        using var response = await Rest(new HttpMethod(method), $"/api/hubs/{hub}/groups/g/connections/no-such-connection");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Error.Connection.NotExisted", response.Headers.GetValues("x-ms-error-code").Single());
    }

    [Fact]
    public async Task Group_send_honours_excluded_connections()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var kim = await _emulator.ConnectAsync(hub, "kim");
        await using var lee = await _emulator.ConnectAsync(hub, "lee");
        await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/kim/groups/g");
        await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/lee/groups/g");

        await _emulator.SendAsync($"/api/hubs/{hub}/groups/g/:send?excluded={lee.ConnectionId}", "grouped");
        await _emulator.SendAsync($"/api/hubs/{hub}/groups/g/:send", "marker");
        await kim.WaitForAsync("grouped");
        await lee.WaitForAsync("marker");
        Assert.False(lee.HasReceived("grouped"));
    }

    [Fact]
    public async Task Invalid_ttl_or_group_name_is_400()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await Rest(HttpMethod.Put, "/api/hubs/chat/users/u/groups/g?ttl=-1")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Rest(HttpMethod.Put, "/api/hubs/chat/users/u/groups/%20%20")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Rest(HttpMethod.Put, $"/api/hubs/chat/users/u/groups/{new string('g', 1025)}")).StatusCode);
    }
}
