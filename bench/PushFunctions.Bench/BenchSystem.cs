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

/// <summary>What a round runs on: one redis-server or a three-master Redis Cluster; one app instance or several.</summary>
/// <param name="Instances">app instances; with more than one, requests (and the emulator's upstream events) go to them in turn through <see cref="RoundRobinProxy"/></param>
/// <param name="AppProcess">the app in a process of its own (tools/FunctionsDevHost's build output), so its CPU and allocations are its own</param>
public sealed record Topology(bool Cluster, int Instances, bool AppProcess = false)
{
    public override string ToString() => $"{(Cluster ? "Redis Cluster (3 masters)" : "one redis-server")}, {Instances} app instance{(Instances > 1 ? "s" : "")}" +
                                         (AppProcess ? " in a process of its own" : " in this process");
}

/// <summary>
/// What one benchmark round runs against: its own redis-server process on a free port (or a Redis Cluster started by
/// scripts/redis-cluster.sh), the SignalR emulator in-process and PushFunctions in-process under the development host
/// (DevHost.Build), all on port 0, the emulator's upstream at the app (or at the round-robin proxy before the instances).
/// </summary>
public sealed class BenchSystem : IAsyncDisposable
{
    public const string Hub = "push";

    private Process? _redis;
    private string? _redisDir;
    private readonly List<WebApplication> _apps = [];
    private readonly List<AppProcess> _appProcesses = [];
    private RoundRobinProxy? _proxy;
    private string? _clusterDir;

    /// <summary>Every Redis node's port (one, or the cluster's three).</summary>
    public IReadOnlyList<int> RedisPorts { get; private set; } = [];
    public string RedisConnectionString { get; private set; } = "";
    public EmulatorHost Emulator { get; private set; } = null!;
    public string AppUrl { get; private set; } = "";
    public IServiceProvider AppServices => _apps.Count > 0 ? _apps[0].Services
        : throw new InvalidOperationException("The app runs in its own process: its services are not reachable from here.");
    /// <summary>The app's process, when it runs in one of its own (<see cref="Topology.AppProcess"/>).</summary>
    public AppProcess? AppProcess => _appProcesses.FirstOrDefault();
    /// <summary>redis-server's process (null for a cluster).</summary>
    public Process? RedisProcess => _redis;
    public string ServerKey { get; } = "bench-srv-" + Guid.NewGuid().ToString("N");
    public string AccessKey { get; } = "bench-emu-" + Guid.NewGuid().ToString("N");
    private string SigningKey { get; } = "bench-sign-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    public static async Task<BenchSystem> StartAsync(int userStreamMaxLength, Topology topology)
    {
        var system = new BenchSystem();
        try
        {
            if (topology.Cluster) await system.StartClusterAsync();
            else await system.StartRedisAsync();
            system.Emulator = await EmulatorHost.StartAsync(new EmulatorOptions
            {
                Port = 0,
                AccessKey = system.AccessKey,
                ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.Error),
                // The load tool's clients ping every 15 s; leave the defaults (30 s client timeout).
            });
            var urls = new List<string>();
            for (var i = 0; i < topology.Instances; i++)
                urls.Add(topology.AppProcess ? await system.StartAppProcessAsync(userStreamMaxLength) : await system.StartAppAsync(userStreamMaxLength));
            if (urls.Count > 1) system._proxy = await RoundRobinProxy.StartAsync(urls);
            system.AppUrl = system._proxy?.Url ?? urls[0];
            system.Emulator.UpstreamTemplate = system.AppUrl + "/api/signalr/{hub}/{category}/{event}";
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    private async Task<string> StartAppAsync(int userStreamMaxLength)
    {
        var settings = AppSettings(userStreamMaxLength);
        var app = FunctionsDevHost.DevHost.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(LogLevel.Error);
        });
        await app.StartAsync();
        _apps.Add(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    /// <summary>The same app and settings as <see cref="StartAppAsync"/>, in a process of its own.</summary>
    private async Task<string> StartAppProcessAsync(int userStreamMaxLength)
    {
        var app = await AppProcess.StartAsync(AppSettings(userStreamMaxLength));
        _appProcesses.Add(app);
        return app.Url;
    }

    private Dictionary<string, string?> AppSettings(int userStreamMaxLength) => new()
    {
        ["AzureSignalRConnectionString"] = Emulator.ConnectionString,
        ["RedisConnectionString"] = RedisConnectionString,
        ["PushServerKeys"] = ServerKey,
        ["SessionSigningKeys"] = SigningKey, // the same for every instance, as in Azure
        // The limiter must not cap the numbers.
        ["RateLimit:ServerPerSecond"] = "10000000",
        ["RateLimit:SessionPerSecond"] = "10000000",
        // The recovery scenario keeps 10,000 messages in one user's stream (default retention: 1,000).
        ["Retention:UserMaxLength"] = userStreamMaxLength.ToString(),
        // Keep the lease reconciler's existence checks (1 REST call per connection per lease) out of the
        // per-send REST counts: a run is far shorter than this lease.
        ["Presence:LeaseSeconds"] = "3600",
    };

    /// <summary>The repository's scripts/redis-cluster.sh: the one way the tests and the benchmark make a cluster.</summary>
    private static string ClusterScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = System.IO.Path.Combine(dir.FullName, "scripts", "redis-cluster.sh");
            if (File.Exists(script)) return script;
        }
        throw new InvalidOperationException("scripts/redis-cluster.sh not found above " + AppContext.BaseDirectory);
    }

    private async Task StartClusterAsync()
    {
        _clusterDir = System.IO.Path.Combine(Directory.CreateTempSubdirectory("pf-bench-cluster-").FullName, "cluster");
        var output = await RunClusterScriptAsync("start", _clusterDir, Environment.ProcessId.ToString());
        RedisConnectionString = output.Trim().Split('\n')[^1];
        RedisPorts = RedisConnectionString.Split(',').Select(e => int.Parse(e.Split(':')[1])).ToList();
    }

    private static async Task<string> RunClusterScriptAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(ClusterScript());
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"redis-cluster.sh {arguments[0]} failed: {await error}");
        return await output;
    }

    private async Task StartRedisAsync()
    {
        var port = FreePort();
        RedisPorts = [port];
        RedisConnectionString = $"127.0.0.1:{port}";
        _redisDir = Directory.CreateTempSubdirectory("pf-bench-redis-").FullName;
        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--dir", _redisDir, "--daemonize", "no", "--loglevel", "warning" })
            start.ArgumentList.Add(a);
        _redis = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (apt-get install -y redis-server).");
        Watch(_redis, _ => { });

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
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
        if (_proxy is not null) await _proxy.DisposeAsync();
        foreach (var app in _appProcesses) await app.DisposeAsync();
        foreach (var app in _apps)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
            }
            await app.DisposeAsync();
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
        if (_clusterDir is not null)
        {
            await RunClusterScriptAsync("stop", _clusterDir);
            try { Directory.Delete(System.IO.Path.GetDirectoryName(_clusterDir)!, true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Reads a child's output into <paramref name="line"/>, and starts a shell watchdog that kills the child if this
    /// process dies without disposing it.
    /// </summary>
    public static void Watch(Process child, Action<string?> line)
    {
        child.OutputDataReceived += (_, e) => line(e.Data);
        child.ErrorDataReceived += (_, e) => line(e.Data);
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        var watchdog = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        watchdog.ArgumentList.Add("-c");
        watchdog.ArgumentList.Add($"while kill -0 {Environment.ProcessId} 2>/dev/null; do kill -0 {child.Id} 2>/dev/null || exit 0; sleep 1; done; kill -9 {child.Id} 2>/dev/null");
        Process.Start(watchdog)?.Dispose();
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
