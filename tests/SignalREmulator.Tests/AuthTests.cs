using System.Net;
using System.Net.WebSockets;
using SignalREmulator.Tests.Support;
using SignalRTestClient;

namespace SignalREmulator.Tests;

public sealed class AuthTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorClient _emulator = fixture.Client;

    private string SendUrl(string hub) => $"{_emulator.Host.Url}/api/hubs/{hub}/:send";

    [Fact]
    public async Task Rest_call_with_a_token_signed_by_another_key_is_401_with_error_detail()
    {
        var token = _emulator.RestToken(SendUrl("chat"), key: "not-the-access-key-not-the-access-key-0000");
        using var response = await _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/chat/:send?{EmulatorClient.ApiVersion}", """{"target":"t"}""", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("\"code\"", await response.Content.ReadAsStringAsync());
        Assert.True(response.Headers.Contains("x-ms-error-code"));
    }

    [Fact]
    public async Task Rest_call_signed_with_the_access_key_is_accepted_whatever_its_kid_says()
    {
        // The SDK's kid for an access key is a hash of the key (spec §2.2): the service does not look it up.
        var claims = new List<KeyValuePair<string, object>> { new("aud", SendUrl("chat")), new("exp", DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()) };
        var token = SignalREmulator.Auth.Jwt.Create(claims, EmulatorOptions.WellKnownAccessKey, keyId: "1234567890abcdef");
        using var response = await _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/chat/:send?{EmulatorClient.ApiVersion}", """{"target":"t"}""", token);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Rest_call_with_a_token_for_another_url_is_401()
    {
        var token = _emulator.RestToken(SendUrl("otherhub"));
        using var response = await _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/chat/:send?{EmulatorClient.ApiVersion}", """{"target":"t"}""", token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Rest_call_with_an_expired_token_is_401()
    {
        var token = _emulator.RestToken(SendUrl("chat"), expires: DateTimeOffset.UtcNow.AddMinutes(-10));
        using var response = await _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/chat/:send?{EmulatorClient.ApiVersion}", """{"target":"t"}""", token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Rest_call_without_a_token_is_401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{SendUrl("chat")}?{EmulatorClient.ApiVersion}") { Content = new StringContent("""{"target":"t"}""") };
        using var response = await _emulator.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("http://127.0.0.1/api/hubs/chat/:send?api-version=2022-06-01")] // the Management SDK's form: query, no port
    [InlineData("HTTP://LOCALHOST/api/hubs/chat/:send/")]                        // case, loopback name, trailing slash
    public async Task Rest_audience_tolerates_the_sdk_form_and_harmless_differences(string audience)
    {
        using var response = await _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/chat/:send?{EmulatorClient.ApiVersion}", """{"target":"t"}""", _emulator.RestToken(audience));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Rest_audience_with_the_exact_port_is_accepted_and_with_another_port_rejected()
    {
        var exact = await _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/chat/:send?{EmulatorClient.ApiVersion}", """{"target":"t"}""", _emulator.RestToken(SendUrl("chat")));
        var otherPort = await _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/chat/:send?{EmulatorClient.ApiVersion}", """{"target":"t"}""",
            _emulator.RestToken($"http://127.0.0.1:{(_emulator.Host.Port == 1 ? 2 : 1)}/api/hubs/chat/:send"));
        Assert.Equal(HttpStatusCode.Accepted, exact.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, otherPort.StatusCode);
    }

    [Fact]
    public async Task Rest_call_without_api_version_is_400()
    {
        using var response = await _emulator.RestAsync(HttpMethod.Post, "/api/hubs/chat/:send", """{"target":"t"}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    public static TheoryData<string> BadClientTokens => new() { "signature", "audience", "expired", "hub" };

    [Theory]
    [MemberData(nameof(BadClientTokens))]
    public async Task Client_negotiate_with_an_invalid_token_is_401(string problem)
    {
        var token = problem switch
        {
            "signature" => _emulator.ClientToken("chat", "u1", key: "another-key-another-key-another-key-000000"),
            "audience" => _emulator.ClientToken("chat", "u1", audience: "http://example.com/client/?hub=chat"),
            "expired" => _emulator.ClientToken("chat", "u1", expires: DateTimeOffset.UtcNow.AddMinutes(-5)),
            _ => _emulator.ClientToken("chat", "u1", audience: "http://127.0.0.1/client/?hub=otherhub"),
        };

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => HubClient.ConnectAsync(_emulator.ClientUrl("chat"), token));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    [Fact]
    public async Task Client_websocket_connect_with_an_invalid_token_is_401_even_after_a_good_negotiate()
    {
        // Hand-written: the real client never connects with a token other than the one it negotiated with.
        var good = _emulator.ClientToken("chat", "u1");
        var negotiated = await Negotiator.NegotiateAsync(_emulator.Http, _emulator.ClientUrl("chat"), good, default);
        var bad = negotiated with { AccessToken = _emulator.ClientToken("chat", "u1", expires: DateTimeOffset.UtcNow.AddMinutes(-5)) };

        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(Negotiator.ConnectUrl(bad), default));
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    [Fact]
    public async Task Client_token_with_the_exact_client_url_as_audience_connects()
    {
        var hub = EmulatorClient.Unique("hub");
        var token = _emulator.ClientToken(hub, "u1", audience: $"{_emulator.Host.Url}/client/?hub={hub}");
        await using var client = await HubClient.ConnectAsync(_emulator.ClientUrl(hub), token);
        Assert.False(string.IsNullOrEmpty(client.ConnectionId));
    }

    [Fact]
    public async Task Generated_token_connects_as_the_requested_user()
    {
        var hub = EmulatorClient.Unique("hub");
        using var response = await _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/{hub}/:generateToken?userId=alice&minutesToExpire=5&api-version=2024-12-01");
        response.EnsureSuccessStatusCode();
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var token = body.RootElement.GetProperty("token").GetString();

        await using var client = await HubClient.ConnectAsync(_emulator.ClientUrl(hub), token);
        (await _emulator.SendAsync($"/api/hubs/{hub}/users/alice/:send", "hello", 1)).EnsureSuccessStatusCode();
        await client.WaitForAsync("hello");
    }

    [Fact]
    public async Task Health_is_anonymous()
    {
        using var get = await _emulator.Http.GetAsync(_emulator.Host.Url + "/api/health");
        using var head = await _emulator.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, _emulator.Host.Url + "/api/health"));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    [Fact]
    public async Task Token_audiences_name_the_services_endpoint_whatever_address_the_request_came_to()
    {
        // Reached at 127.0.0.1 (a ServerEndpoint and ClientEndpoint in front of it), named http://signalr.test.
        await using var named = await EmulatorHost.StartAsync(new EmulatorOptions { Endpoint = "http://signalr.test" });
        using var emulator = new EmulatorClient(named);
        var hub = EmulatorClient.Unique("hub");
        var send = $"/api/hubs/{hub}/:send?{EmulatorClient.ApiVersion}";
        var body = """{"target":"t"}""";

        using var byName = await emulator.RestAsync(HttpMethod.Post, send, body, emulator.RestToken($"http://signalr.test/api/hubs/{hub}/:send"));
        Assert.Equal(HttpStatusCode.Accepted, byName.StatusCode);
        using var byAddress = await emulator.RestAsync(HttpMethod.Post, send, body, emulator.RestToken($"{named.Url}/api/hubs/{hub}/:send"));
        Assert.Equal(HttpStatusCode.Unauthorized, byAddress.StatusCode);

        await using var client = await HubClient.ConnectAsync(emulator.ClientUrl(hub), emulator.ClientToken(hub, "u1", audience: $"http://signalr.test/client/?hub={hub}"));
        await Assert.ThrowsAnyAsync<Exception>(() => HubClient.ConnectAsync(emulator.ClientUrl(hub), emulator.ClientToken(hub, "u1")));

        using var generated = await emulator.RestAsync(HttpMethod.Post, $"/api/hubs/{hub}/:generateToken?userId=u&api-version=2024-12-01",
            token: emulator.RestToken($"http://signalr.test/api/hubs/{hub}/:generateToken"));
        using var answer = System.Text.Json.JsonDocument.Parse(await generated.Content.ReadAsStringAsync());
        Assert.Equal($"http://signalr.test/client/?hub={hub}", new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(answer.RootElement.GetProperty("token").GetString()).Audiences.Single());
        Assert.StartsWith($"Endpoint=http://signalr.test;ServerEndpoint={named.Url};ClientEndpoint={named.Url};", named.ConnectionString);
    }
}
