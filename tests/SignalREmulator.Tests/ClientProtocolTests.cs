using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SignalREmulator.Tests.Support;
using SignalRTestClient;

namespace SignalREmulator.Tests;

public sealed class ClientProtocolTests(EmulatorFixture fixture) : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorClient _emulator = fixture.Client;

    [Fact]
    public async Task Client_follows_an_app_negotiate_redirect_to_the_emulator()
    {
        const string appPath = "/api"; // what the client is given: it appends /negotiate
        var hub = EmulatorClient.Unique("hub");
        string? seenAuthorization = null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        app.MapPost("/api/negotiate", (HttpContext context) =>
        {
            seenAuthorization = context.Request.Headers.Authorization;
            return Results.Json(new { url = _emulator.ClientUrl(hub), accessToken = _emulator.ClientToken(hub, "redirected-user") });
        });
        await app.StartAsync();
        var appUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await using var client = await HubClient.ConnectAsync(appUrl + appPath, "session-token");
        Assert.Equal("Bearer session-token", seenAuthorization);

        await _emulator.SendAsync($"/api/hubs/{hub}/users/redirected-user/:send", "welcome");
        await client.WaitForAsync("welcome");
    }

    // The hand-written client's own URL rule, which the WebSocket test in AuthTests relies on.
    [Fact]
    public void Negotiate_url_is_resolved_like_the_js_client()
    {
        Assert.Equal("http://x/client/negotiate?hub=chat&negotiateVersion=1", Negotiator.ResolveNegotiateUrl("http://x/client/?hub=chat"));
        Assert.Equal("http://x/api/negotiate?negotiateVersion=1", Negotiator.ResolveNegotiateUrl("http://x/api"));
        Assert.Equal("http://x/api/negotiate?negotiateVersion=1", Negotiator.ResolveNegotiateUrl("http://x/api/negotiate"));
    }

    [Fact]
    public async Task Silent_client_is_closed_after_the_client_timeout()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            KeepAliveInterval = TimeSpan.FromMilliseconds(200),
            // Fifteen of the pinging client's pings: a loaded machine may delay a few, and that client must stay.
            ClientTimeout = TimeSpan.FromSeconds(3),
        });
        using var emulator = new EmulatorClient(host);
        var hub = EmulatorClient.Unique("hub");
        // Hand-written clients: the real client always pings, and a silent client is what this test needs.
        var silentOptions = new SignalRClientOptions { KeepAliveInterval = TimeSpan.FromHours(1) };
        var pingingOptions = new SignalRClientOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(200) };
        await using var silent = await SignalRClient.ConnectAsync(emulator.ClientUrl(hub), emulator.ClientToken(hub, "s"), silentOptions);
        await using var pinging = await SignalRClient.ConnectAsync(emulator.ClientUrl(hub), emulator.ClientToken(hub, "p"), pingingOptions);

        var closed = await silent.Closed.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains("timeout", closed.Error, StringComparison.OrdinalIgnoreCase);
        Assert.False(pinging.Closed.IsCompleted);
        await emulator.SendAsync($"/api/hubs/{hub}/users/p/:send", "alive");
        await pinging.WaitForAsync("alive");
    }

    [Fact]
    public async Task Client_close_message_ends_the_connection_cleanly()
    {
        var hub = EmulatorClient.Unique("hub");
        var client = await _emulator.ConnectAsync(hub, "leaver");
        await client.DisposeAsync();
        Assert.Null(await client.Closed.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
