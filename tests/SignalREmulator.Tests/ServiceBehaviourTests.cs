using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using SignalREmulator.Groups;
using SignalREmulator.Tests.Support;

namespace SignalREmulator.Tests;

/// <summary>Where the emulator follows the service rather than the official emulator (spec §1.1–1.3, §5.3).</summary>
public sealed class ServiceBehaviourTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorClient _emulator = fixture.Client;

    private Task<HttpResponseMessage> Rest(HttpMethod method, string path) =>
        _emulator.RestAsync(method, path + (path.Contains('?') ? "&" : "?") + EmulatorClient.ApiVersion);

    [Theory]
    [InlineData("POST", "/api/hubs/chat/:send?api-version=2022-06-01", HttpStatusCode.Accepted)]
    [InlineData("POST", "/api/hubs/chat/:send?api-version=2024-12-01", HttpStatusCode.Accepted)]
    [InlineData("POST", "/api/hubs/chat/:send?api-version=2021-01-01", HttpStatusCode.BadRequest)] // no such version
    [InlineData("POST", "/api/hubs/chat/:send?api-version=2022-06-01-preview", HttpStatusCode.BadRequest)]
    [InlineData("POST", "/api/hubs/chat/:generateToken?api-version=2022-06-01", HttpStatusCode.BadRequest)] // arrived in 2022-11-01
    [InlineData("POST", "/api/hubs/chat/:generateToken?api-version=2022-11-01", HttpStatusCode.OK)]
    [InlineData("HEAD", "/api/hubs/chat/users/nobody?api-version=2023-07-01", HttpStatusCode.NotFound)]
    public async Task Api_version_is_checked_per_operation_as_the_swagger_lists_them(string method, string path, HttpStatusCode expected)
    {
        using var response = await _emulator.RestAsync(new HttpMethod(method), path, method == "POST" && path.Contains(":send") ? """{"target":"t"}""" : null);
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.BadRequest && method != "HEAD")
        {
            Assert.Contains("api-version", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_user_id_of_dot_dot_in_a_rest_path_addresses_the_whole_hub_as_url_normalisation_makes_it()
    {
        // Why the app refuses such ids: the path is rewritten before any route sees it (System.Uri, then the server).
        var hub = EmulatorClient.Unique("hub");
        await using var bystander = await _emulator.ConnectRawAsync(hub, "bystander");

        using var response = await Rest(HttpMethod.Post, $"/api/hubs/{hub}/users/../:closeConnections");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.True((await bystander.Closed.WaitAsync(TimeSpan.FromSeconds(30))).ReceivedCloseMessage);
    }

    [Fact]
    public async Task Generated_token_audience_is_the_client_url_without_the_port()
    {
        using var response = await _emulator.RestAsync(HttpMethod.Post, "/api/hubs/Chat/:generateToken?userId=u&api-version=2024-12-01");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var token = new JsonWebToken(body.RootElement.GetProperty("token").GetString());
        Assert.Equal("http://127.0.0.1/client/?hub=chat", token.Audiences.Single());
    }

    [Fact]
    public async Task Only_the_100_most_recently_updated_groups_without_ttl_are_kept_per_user()
    {
        var hub = EmulatorClient.Unique("hub");
        await using var client = await _emulator.ConnectAsync(hub, "joiner");
        // One group with a ttl: not counted against the limit.
        (await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/joiner/groups/timed?ttl=3600")).EnsureSuccessStatusCode();
        for (var i = 0; i < HubState.MaxMembershipsWithoutTtl; i++)
        {
            (await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/joiner/groups/g{i}")).EnsureSuccessStatusCode();
        }
        // Updating g0 makes g1 the least recently updated; the 101st group pushes g1 out.
        (await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/joiner/groups/g0")).EnsureSuccessStatusCode();
        (await Rest(HttpMethod.Put, $"/api/hubs/{hub}/users/joiner/groups/g-new")).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.NotFound, (await Rest(HttpMethod.Head, $"/api/hubs/{hub}/users/joiner/groups/g1")).StatusCode);
        foreach (var kept in new[] { "g0", "g2", "g99", "g-new", "timed" })
        {
            Assert.Equal(HttpStatusCode.OK, (await Rest(HttpMethod.Head, $"/api/hubs/{hub}/users/joiner/groups/{kept}")).StatusCode);
        }

        // The user's live connection left the dropped group too.
        await _emulator.SendAsync($"/api/hubs/{hub}/groups/g1/:send", "dropped");
        await _emulator.SendAsync($"/api/hubs/{hub}/groups/g2/:send", "kept");
        await client.WaitForAsync("kept");
        Assert.False(client.HasReceived("dropped"));
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_without_a_service_error_code()
    {
        using var response = await Rest(HttpMethod.Post, "/api/hubs/chat/no-such-operation");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("x-ms-error-code"));
    }

    [Fact]
    public async Task A_gone_connection_is_a_404_with_Warning_Connection_NotExisted()
    {
        using var response = await Rest(HttpMethod.Head, "/api/hubs/chat/connections/gone-connection");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Warning.Connection.NotExisted", response.Headers.GetValues("x-ms-error-code").Single());
    }
}
