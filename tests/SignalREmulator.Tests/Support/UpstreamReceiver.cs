using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SignalREmulator.Tests.Support;

public sealed record ReceivedUpstream(string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : "";
}

/// <summary>A tiny real HTTP server standing in for the app's upstream endpoint; records every POST.</summary>
public sealed class UpstreamReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedUpstream> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private UpstreamReceiver(WebApplication app) => _app = app;

    /// <summary>Answers each request; default 200 with an empty body.</summary>
    public Func<ReceivedUpstream, (int Status, string? Body)> Respond { get; set; } = _ => (200, null);

    public string Url { get; private set; } = "";

    /// <summary>A template in the shape the app uses.</summary>
    public string Template => Url + "/upstream/{hub}/{category}/{event}";

    public IReadOnlyCollection<ReceivedUpstream> Received => _received.ToArray();

    public static async Task<UpstreamReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new UpstreamReceiver(app);
        app.MapPost("/upstream/{**rest}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var request = new ReceivedUpstream(context.Request.Path.Value!, headers, body);
            var (status, responseBody) = receiver.Respond(request);
            receiver._received.Enqueue(request);
            receiver._arrived.Release();
            context.Response.StatusCode = status;
            if (responseBody is not null) await context.Response.WriteAsync(responseBody);
        });
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return receiver;
    }

    /// <summary>The first received request matching <paramref name="match"/>, waiting for it if needed.</summary>
    public async Task<ReceivedUpstream> WaitForAsync(Func<ReceivedUpstream, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var found = _received.FirstOrDefault(match);
            if (found is not null) return found;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                throw new TimeoutException("Upstream request not received. Got: " + string.Join(", ", _received.Select(r => r.Path)));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
