using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SignalREmulator.Auth;
using SignalREmulator.Tests.Support;

namespace SignalREmulator.Tests;

/// <summary>The Azure auth mode (spec §2.3): Entra bearer tokens from the test issuer, temporary access keys, managed identity.</summary>
public sealed class EntraAuthTests(EntraAuthTests.Fixture fixture) : IClassFixture<EntraAuthTests.Fixture>
{
    private const string IdentitySecret = "identity-header-secret";
    private readonly EmulatorHost _host = fixture.Host;
    private readonly EmulatorClient _emulator = fixture.Client;

    /// <summary>One emulator in the Azure auth mode for the class.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public EmulatorHost Host { get; private set; } = null!;

        public EmulatorClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Host = await EmulatorHost.StartAsync(new EmulatorOptions { DisableLocalAuth = true, IdentityHeader = IdentitySecret });
            Client = new EmulatorClient(Host);
        }

        public async Task DisposeAsync()
        {
            Client.Dispose();
            await Host.DisposeAsync();
        }
    }

    /// <summary>A token from the managed-identity endpoint, fetched as Azure.Identity does (App Service protocol).</summary>
    private async Task<HttpResponseMessage> IdentityAsync(string resource, string? secret = IdentitySecret, string? clientId = "app-client-id")
    {
        var url = $"{_host.IdentityEndpoint}?api-version=2019-08-01&resource={Uri.EscapeDataString(resource)}" + (clientId is null ? "" : $"&client_id={clientId}");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (secret is not null) request.Headers.Add("X-IDENTITY-HEADER", secret);
        return await _emulator.Http.SendAsync(request);
    }

    private async Task<string> EntraTokenAsync(string resource = TestIssuer.SignalRResource)
    {
        using var response = await IdentityAsync(resource);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("access_token").GetString()!;
    }

    private async Task<(string KeyId, string AccessKey)> TemporaryKeyAsync()
    {
        using var response = await _emulator.RestAsync(HttpMethod.Get, "/api/v1/auth/accessKey", token: await EntraTokenAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("KeyId").GetString()!, body.RootElement.GetProperty("AccessKey").GetString()!);
    }

    private Task<HttpResponseMessage> SendWith(string token, string hub = "chat") =>
        _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/{hub}/:send?{EmulatorClient.ApiVersion}", """{"target":"t"}""", token);

    [Fact]
    public async Task Managed_identity_endpoint_issues_a_token_for_the_resource_and_client_id()
    {
        using var response = await IdentityAsync("api://pushfunctions");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var token = new JsonWebToken(body.RootElement.GetProperty("access_token").GetString());
        Assert.Equal("api://pushfunctions", token.Audiences.Single());
        Assert.Equal("app-client-id", token.GetClaim("appid").Value);
        Assert.Equal($"https://sts.windows.net/{_host.TenantId}/", token.Issuer);
        Assert.Equal("RS256", token.Alg);
        Assert.False(string.IsNullOrEmpty(token.Kid));
        Assert.True(long.Parse(body.RootElement.GetProperty("expires_on").GetString()!) > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-secret")]
    public async Task Managed_identity_endpoint_needs_the_identity_header(string? secret)
    {
        using var response = await IdentityAsync(TestIssuer.SignalRResource, secret);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Jwks_lists_the_key_named_by_the_tokens_kid()
    {
        var kid = new JsonWebToken(await EntraTokenAsync()).Kid;
        var keys = new JsonWebKeySet(await _emulator.Http.GetStringAsync($"{_host.AuthorityHost}/{_host.TenantId}/discovery/v2.0/keys"));
        Assert.Equal(kid, keys.Keys.Single().Kid);
        Assert.Equal(HttpStatusCode.BadRequest, (await _emulator.Http.GetAsync($"{_host.AuthorityHost}/{Guid.NewGuid()}/discovery/v2.0/keys")).StatusCode);
    }

    [Fact]
    public async Task Rest_call_with_an_entra_token_for_signalr_is_accepted()
    {
        using var response = await SendWith(await EntraTokenAsync());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Rest_call_with_an_access_key_token_is_401_when_local_auth_is_disabled()
    {
        using var response = await SendWith(_emulator.RestToken($"{_host.Url}/api/hubs/chat/:send"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    public static TheoryData<string> BadEntraTokens => new() { "audience", "unknown kid", "another key with the same kid", "expired", "issuer" };

    [Theory]
    [MemberData(nameof(BadEntraTokens))]
    public async Task Rest_call_with_a_bad_entra_token_is_401(string problem)
    {
        var good = new JsonWebToken(await EntraTokenAsync());
        using var otherRsa = RSA.Create(2048);
        var now = DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["aud"] = problem == "audience" ? "https://example.com" : TestIssuer.SignalRResource,
            ["iss"] = problem == "issuer" ? "https://sts.windows.net/another-tenant/" : good.Issuer,
            ["exp"] = (problem == "expired" ? now.AddMinutes(-1) : now.AddHours(1)).ToUnixTimeSeconds(),
            ["appid"] = "app-client-id",
        };
        var signingKey = problem switch
        {
            "unknown kid" => new RsaSecurityKey(otherRsa) { KeyId = "not-a-known-kid" },
            "another key with the same kid" => new RsaSecurityKey(otherRsa) { KeyId = good.Kid },
            _ => _host.Services.GetRequiredService<TestIssuer>().Key,
        };
        var token = Jwt.Create(claims, new SigningCredentials(signingKey, SecurityAlgorithms.RsaSha256));

        using var response = await SendWith(token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Temporary_access_key_signs_client_tokens_named_by_its_kid()
    {
        var (keyId, accessKey) = await TemporaryKeyAsync();
        var hub = EmulatorClient.Unique("hub");
        var claims = new List<KeyValuePair<string, object>>
        {
            new("aud", $"http://127.0.0.1/client/?hub={hub}"),
            new("exp", DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()),
            new("asrs.s.uid", "entra-user"),
        };

        await using var client = await HubClient.ConnectAsync(_emulator.ClientUrl(hub), Jwt.Create(claims, accessKey, keyId));
        using (var send = await _emulator.RestAsync(HttpMethod.Post, $"/api/hubs/{hub}/users/entra-user/:send?{EmulatorClient.ApiVersion}", """{"target":"hello","arguments":[1]}""", await EntraTokenAsync()))
        {
            Assert.Equal(HttpStatusCode.Accepted, send.StatusCode);
        }
        await client.WaitForAsync("hello");

        // The key without its kid, another key under its kid, or an access key: all refused.
        foreach (var token in new[] { Jwt.Create(claims, accessKey), Jwt.Create(claims, Jwt.NewKey(), keyId), _emulator.ClientToken(hub, "entra-user") })
        {
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => HubClient.ConnectAsync(_emulator.ClientUrl(hub), token));
            Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        }
    }

    [Fact]
    public async Task A_temporary_access_key_stops_working_after_90_minutes()
    {
        var clock = new ShiftedClock();
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { DisableLocalAuth = true, IdentityHeader = IdentitySecret, Clock = clock });
        using var emulator = new EmulatorClient(host);
        var entraToken = host.Services.GetRequiredService<TestIssuer>().CreateToken(TestIssuer.SignalRResource, "app").Token;
        using var response = await emulator.RestAsync(HttpMethod.Get, "/api/v1/auth/accessKey", token: entraToken);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var (keyId, accessKey) = (body.RootElement.GetProperty("KeyId").GetString()!, body.RootElement.GetProperty("AccessKey").GetString()!);
        var hub = EmulatorClient.Unique("hub");
        string Token() => Jwt.Create(
        [
            new("aud", $"http://127.0.0.1/client/?hub={hub}"),
            new("exp", clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds()),
            new("asrs.s.uid", "u1"),
        ], accessKey, keyId);

        clock.Shift(TimeSpan.FromMinutes(89));
        await using (await HubClient.ConnectAsync(emulator.ClientUrl(hub), Token())) { }

        clock.Shift(TimeSpan.FromMinutes(2));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => HubClient.ConnectAsync(emulator.ClientUrl(hub), Token()));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    /// <summary>The system clock moved forward by a chosen amount; timers stay real.</summary>
    private sealed class ShiftedClock : TimeProvider
    {
        private long _shiftTicks;

        public void Shift(TimeSpan by) => Interlocked.Add(ref _shiftTicks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _shiftTicks));
    }

    [Theory]
    [InlineData("/api/v1/auth/accessKey", HttpStatusCode.OK)]
    [InlineData("/api/auth/accessKey?api-version=2023-07-01", HttpStatusCode.OK)]
    [InlineData("/api/auth/accessKey?api-version=2024-12-01", HttpStatusCode.OK)]
    [InlineData("/api/auth/accessKey?api-version=2022-06-01", HttpStatusCode.BadRequest)] // not in that swagger
    [InlineData("/api/auth/accessKey", HttpStatusCode.BadRequest)]
    public async Task Access_key_route_checks_its_api_version(string path, HttpStatusCode expected)
    {
        using var response = await _emulator.RestAsync(HttpMethod.Get, path, token: await EntraTokenAsync());
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Access_key_route_needs_an_entra_token()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions());
        using var emulator = new EmulatorClient(host);
        using var withAccessKeyToken = await emulator.RestAsync(HttpMethod.Get, "/api/v1/auth/accessKey");
        using var anonymous = await emulator.Http.GetAsync(host.Url + "/api/v1/auth/accessKey");
        Assert.Equal(HttpStatusCode.Unauthorized, withAccessKeyToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Upstream_requests_carry_an_entra_bearer_token_for_the_configured_resource()
    {
        await using var receiver = await UpstreamReceiver.StartAsync();
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { UpstreamTemplate = receiver.Template, UpstreamAuthResource = "api://pushfunctions" });
        using var emulator = new EmulatorClient(host);
        await using var client = await emulator.ConnectAsync(EmulatorClient.Unique("hub"), "u1");
        var connected = await receiver.WaitForAsync(r => r.Header("X-ASRS-Event") == "connected");

        var authorization = AuthenticationHeaderValue.Parse(connected.Header("Authorization"));
        Assert.Equal("Bearer", authorization.Scheme);
        var keys = new JsonWebKeySet(await emulator.Http.GetStringAsync($"{host.AuthorityHost}/{host.TenantId}/discovery/v2.0/keys"));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(authorization.Parameter, new TokenValidationParameters
        {
            ValidAudience = "api://pushfunctions",
            ValidIssuer = $"https://sts.windows.net/{host.TenantId}/",
            IssuerSigningKeys = keys.GetSigningKeys(),
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(TestIssuer.ServiceClientId, result.Claims["appid"]);
    }
}
