using System.Net.Http.Headers;
using System.Text;
using SignalREmulator;
using SignalREmulator.Auth;
using SignalRTestClient;

namespace SignalREmulator.Tests.Support;

/// <summary>One emulator per test class; tests use their own hub, user and group names so they never collide.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public EmulatorHost Host { get; private set; } = null!;

    public EmulatorClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await EmulatorHost.StartAsync(new EmulatorOptions());
        Client = new EmulatorClient(Host);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>Talks to an emulator as the app would: signed REST calls and SignalR clients.</summary>
public sealed class EmulatorClient(EmulatorHost host, string? accessKey = null) : IDisposable
{
    public const string ApiVersion = "api-version=2022-06-01";

    private readonly string _key = accessKey ?? EmulatorOptions.WellKnownAccessKey;

    public HttpClient Http { get; } = new();

    public EmulatorHost Host { get; } = host;

    public static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A REST call signed the documented way: aud = the request URL without query.</summary>
    public Task<HttpResponseMessage> RestAsync(HttpMethod method, string pathAndQuery, string? jsonBody = null, string? token = null)
    {
        var url = Host.Url + pathAndQuery;
        var request = new HttpRequestMessage(method, url);
        if (jsonBody is not null) request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? RestToken(url.Split('?')[0]));
        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> SendAsync(string hubPath, string target, params object?[] arguments) =>
        RestAsync(HttpMethod.Post, hubPath + (hubPath.Contains('?') ? "&" : "?") + ApiVersion,
            System.Text.Json.JsonSerializer.Serialize(new { target, arguments }));

    public string RestToken(string audience, DateTimeOffset? expires = null, string? key = null) =>
        Jwt.Create(
        [
            new("aud", audience),
            new("exp", (expires ?? DateTimeOffset.UtcNow.AddHours(1)).ToUnixTimeSeconds()),
            new("nameid", "test-server"),
        ], key ?? _key);

    /// <summary>A client token the SDK way: aud = client URL without port, user in asrs.s.uid.</summary>
    public string ClientToken(string hub, string? userId, IEnumerable<KeyValuePair<string, object>>? extraClaims = null,
        string? audience = null, DateTimeOffset? expires = null, string? key = null)
    {
        var claims = new List<KeyValuePair<string, object>>
        {
            new("aud", audience ?? $"http://127.0.0.1/client/?hub={hub.ToLowerInvariant()}"),
            new("exp", (expires ?? DateTimeOffset.UtcNow.AddHours(1)).ToUnixTimeSeconds()),
        };
        if (userId is not null) claims.Add(new("asrs.s.uid", userId));
        if (extraClaims is not null) claims.AddRange(extraClaims);
        return Jwt.Create(claims, key ?? _key);
    }

    public string ClientUrl(string hub) => $"{Host.Url}/client/?hub={hub}";

    /// <summary>A connection with the real .NET SignalR client.</summary>
    public Task<HubClient> ConnectAsync(string hub, string? userId, IEnumerable<KeyValuePair<string, object>>? extraClaims = null) =>
        HubClient.ConnectAsync(ClientUrl(hub), ClientToken(hub, userId, extraClaims));

    /// <summary>
    /// A connection with the hand-written client (tests/SignalRTestClient), only for tests that read what the real
    /// client does not show: the Close frame's fields (error, allowReconnect) as they came over the wire.
    /// </summary>
    public Task<SignalRClient> ConnectRawAsync(string hub, string? userId) =>
        SignalRClient.ConnectAsync(ClientUrl(hub), ClientToken(hub, userId));

    public void Dispose() => Http.Dispose();
}
