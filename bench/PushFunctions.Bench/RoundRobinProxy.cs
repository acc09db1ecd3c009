using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PushFunctions.Bench;

/// <summary>
/// A load balancer before several app instances, as Azure's front end is (and as tests/e2e/lib/system.mjs's
/// proxy): each request goes to the next instance in turn, so a client's consecutive calls and the upstream events
/// of one connection land on different instances. It adds one loopback HTTP hop to every call.
/// </summary>
public sealed class RoundRobinProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host",
    };

    private readonly WebApplication _app;

    private RoundRobinProxy(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public static async Task<RoundRobinProxy> StartAsync(IReadOnlyList<string> targets)
    {
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, MaxConnectionsPerServer = 512 })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        var next = -1;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(async context =>
        {
            var target = targets[(int)((uint)Interlocked.Increment(ref next) % targets.Count)];
            using var forward = new HttpRequestMessage(new HttpMethod(context.Request.Method),
                target + context.Request.Path + context.Request.QueryString);
            if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
                forward.Content = new StreamContent(context.Request.Body);
            foreach (var (name, values) in context.Request.Headers)
            {
                if (HopByHop.Contains(name)) continue;
                if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
                    forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
            using var answer = await http.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
            context.Response.StatusCode = (int)answer.StatusCode;
            foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
                if (!HopByHop.Contains(name)) context.Response.Headers[name] = values.ToArray();
            await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return new RoundRobinProxy(app, url);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
