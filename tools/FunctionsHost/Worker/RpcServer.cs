using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FunctionsHost.Worker;

/// <summary>
/// The host's gRPC server, separate from its public HTTP endpoint as in the host: HTTP/2 without TLS on a free
/// loopback port, no message size limit (the host passes the worker int.MaxValue), serving <see cref="FunctionRpcService"/>.
/// </summary>
public sealed class RpcServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private RpcServer(WebApplication app, Uri uri)
    {
        this.app = app;
        Uri = uri;
    }

    /// <summary>What the worker gets as <c>--functions-uri</c>, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Uri { get; }

    public static async Task<RpcServer> StartAsync(WorkerChannels channels, ILoggerFactory loggers)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.AddSingleton(channels);
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = null;
            grpc.MaxSendMessageSize = null;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        var app = builder.Build();
        app.MapGrpcService<FunctionRpcService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RpcServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
