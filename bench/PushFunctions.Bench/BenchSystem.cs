using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SignalREmulator;

namespace PushFunctions.Bench;

/// <summary>
/// What one benchmark round runs against: its own redis-server process on a free port, the SignalR emulator
/// in-process and PushFunctions in-process under the development host (DevHost.Build), both on port 0, the emulator's upstream at the app.
/// </summary>
public sealed class BenchSystem : IAsyncDisposable
{
    public const string Hub = "push";

    private Process? _redis;
    private string? _redisDir;
    private WebApplication? _app;

    public int RedisPort { get; private set; }
    public string RedisConnectionString => $"127.0.0.1:{RedisPort}";
    public EmulatorHost Emulator { get; private set; } = null!;
    public string AppUrl { get; private set; } = "";
    public IServiceProvider AppServices => _app!.Services;
    public string ServerKey { get; } = "bench-srv-" + Guid.NewGuid().ToString("N");
    public string AccessKey { get; } = "bench-emu-" + Guid.NewGuid().ToString("N");

    public static async Task<BenchSystem> StartAsync(int userStreamMaxLength)
    {
        var system = new BenchSystem();
        try
        {
            await system.StartRedisAsync();
            system.Emulator = await EmulatorHost.StartAsync(new EmulatorOptions
            {
                Port = 0,
                AccessKey = system.AccessKey,
                ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.Error),
                // The load tool's clients ping every 15 s; leave the defaults (30 s client timeout).
            });
            await system.StartAppAsync(userStreamMaxLength);
            system.Emulator.UpstreamTemplate = system.AppUrl + "/api/signalr/{hub}/{category}/{event}";
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    private async Task StartAppAsync(int userStreamMaxLength)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureSignalRConnectionString"] = Emulator.ConnectionString,
            ["RedisConnectionString"] = RedisConnectionString,
            ["PushServerKeys"] = ServerKey,
            ["SessionSigningKeys"] = "bench-sign-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"),
            // The limiter must not cap the numbers.
            ["RateLimit:ServerPerSecond"] = "10000000",
            ["RateLimit:SessionPerSecond"] = "10000000",
            // The recovery scenario keeps 10,000 messages in one user's stream (default retention: 1,000).
            ["Retention:UserMaxLength"] = userStreamMaxLength.ToString(),
            // Keep the lease reconciler's existence checks (1 REST call per connection per lease) out of the
            // per-send REST counts: a run is far shorter than this lease.
            ["Presence:LeaseSeconds"] = "3600",
        };
        var app = FunctionsDevHost.DevHost.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(LogLevel.Error);
        });
        await app.StartAsync();
        _app = app;
        AppUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    private async Task StartRedisAsync()
    {
        RedisPort = FreePort();
        _redisDir = Directory.CreateTempSubdirectory("pf-bench-redis-").FullName;
        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--port", RedisPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--dir", _redisDir, "--daemonize", "no", "--loglevel", "warning" })
            start.ArgumentList.Add(a);
        _redis = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (apt-get install -y redis-server).");
        _redis.OutputDataReceived += (_, _) => { };
        _redis.ErrorDataReceived += (_, _) => { };
        _redis.BeginOutputReadLine();
        _redis.BeginErrorReadLine();
        // If this process dies without disposing, the shell watchdog kills redis-server.
        var watchdog = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        watchdog.ArgumentList.Add("-c");
        watchdog.ArgumentList.Add($"while kill -0 {Environment.ProcessId} 2>/dev/null; do kill -0 {_redis.Id} 2>/dev/null || exit 0; sleep 1; done; kill -9 {_redis.Id} 2>/dev/null");
        Process.Start(watchdog)?.Dispose();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, RedisPort);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var buffer = new byte[16];
                if (await stream.ReadAsync(buffer) > 0 && buffer[0] == (byte)'+') return;
            }
            catch (SocketException)
            {
            }
            if (_redis.HasExited || DateTime.UtcNow > deadline) throw new InvalidOperationException("redis-server did not answer PING.");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
            }
            await _app.DisposeAsync();
        }
        if (Emulator is not null) await Emulator.DisposeAsync();
        if (_redis is { HasExited: false })
        {
            _redis.Kill();
            await _redis.WaitForExitAsync();
        }
        _redis?.Dispose();
        if (_redisDir is not null)
        {
            try { Directory.Delete(_redisDir, true); } catch (IOException) { }
        }
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
