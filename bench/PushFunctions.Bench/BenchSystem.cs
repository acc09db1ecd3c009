using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FunctionsHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SignalREmulator;

namespace PushFunctions.Bench;

/// <summary>What a round runs on: one redis-server or a three-master Redis Cluster; one app instance or several; the app's path.</summary>
/// <param name="Instances">app instances; with more than one, requests (and the emulator's upstream events) go to them in turn through <see cref="RoundRobinProxy"/></param>
/// <param name="InProcess">
/// false: each instance is the local Functions host (tools/FunctionsHost, in this process) running the app's build output as
/// its worker process, as Azure runs it (the app in a process of its own: its CPU and allocations are its own); true: the same host with the app in this process (no worker process, no hop)
/// </param>
/// <param name="AppDirectory">the folder the worker runs from: the app's Release build output, or a package (scripts/package.sh's artifacts/package)</param>
public sealed record Topology(bool Cluster, int Instances, bool InProcess, string AppDirectory)
{
    public override string ToString() =>
        $"{(Cluster ? "Redis Cluster (3 masters)" : "one redis-server")}, {Instances} app instance{(Instances > 1 ? "s" : "")}, " +
        (InProcess ? "the app in-process behind the local Functions host" : $"the app in its worker process behind the local Functions host, from {AppDirectory}");
}

/// <summary>
/// What one benchmark round runs against: its own redis-server process on a free port (or a Redis Cluster started by
/// scripts/redis-cluster.sh), the SignalR emulator in-process and PushFunctions behind the local Functions host
/// (tools/FunctionsHost, in this process; the app in its worker process, or in this process with --in-process), all on
/// port 0, the emulator's upstream at the app (or at the round-robin proxy before the instances). No AzureWebJobsStorage:
/// the timers do not run (a round is far shorter than the presence lease it sets).
/// </summary>
public sealed class BenchSystem : IAsyncDisposable
{
    public const string Hub = "push";

    private Process? _redis;
    private string? _redisDir;
    private readonly List<LocalFunctionsHost> _apps = [];
    private ServiceProvider? _appServices;
    private RoundRobinProxy? _proxy;
    private string? _clusterDir;

    /// <summary>Every Redis node's port (one, or the cluster's three).</summary>
    public IReadOnlyList<int> RedisPorts { get; private set; } = [];
    public string RedisConnectionString { get; private set; } = "";
    public EmulatorHost Emulator { get; private set; } = null!;
    public string AppUrl { get; private set; } = "";
    /// <summary>The app's services in this process, for the profile's sections that call them directly.</summary>
    public IServiceProvider AppServices { get; private set; } = null!;

    /// <summary>The app's worker processes, one per instance (none in process): the app in processes of its own.</summary>
    public IReadOnlyList<AppProcess> AppProcesses => _apps.Select(a => a.WorkerProcessId).OfType<int>().Select(id => new AppProcess(id)).ToList();

    /// <summary>The first instance's worker process (null in process): the one --stages profiles.</summary>
    public AppProcess? AppProcess => AppProcesses.FirstOrDefault();

    /// <summary>The CPU time of every worker process so far (zero in process).</summary>
    public TimeSpan AppCpu => AppProcesses.Aggregate(TimeSpan.Zero, (sum, app) => sum + app.Cpu);

    /// <summary>redis-server's process (null for a cluster).</summary>
    public Process? RedisProcess => _redis;
    public string ServerKey { get; } = "bench-srv-" + Guid.NewGuid().ToString("N");
    public string AccessKey { get; } = "bench-emu-" + Guid.NewGuid().ToString("N");
    private string SigningKey { get; } = "bench-sign-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    /// <param name="profiled">the worker processes name their JIT-compiled methods for perf (--stages)</param>
    public static async Task<BenchSystem> StartAsync(int userStreamMaxLength, Topology topology, bool profiled = false)
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
            for (var i = 0; i < topology.Instances; i++) urls.Add(await system.StartAppAsync(userStreamMaxLength, topology, profiled));
            system.AppServices = topology.InProcess ? system._apps[0].Services : system.AppServicesHere(userStreamMaxLength);
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

    private Dictionary<string, string?> Settings(int userStreamMaxLength) => new()
    {
        ["AzureSignalRConnectionString"] = Emulator.ConnectionString,
        ["RedisConnectionString"] = RedisConnectionString,
        ["PushServerKeys"] = ServerKey,
        ["SessionSigningKeys"] = SigningKey, // the same for every instance, as in Azure
        // The limiter must not cap the numbers.
        ["RateLimit__ServerPerSecond"] = "10000000",
        ["RateLimit__SessionPerSecond"] = "10000000",
        // The recovery scenario keeps 10,000 messages in one user's stream (default retention: 1,000).
        ["Retention__UserMaxLength"] = userStreamMaxLength.ToString(),
        // Keep the lease reconciler's existence checks (1 REST call per connection per lease) out of the
        // per-send REST counts: a run is far shorter than this lease.
        ["Presence__LeaseSeconds"] = "3600",
    };

    private async Task<string> StartAppAsync(int userStreamMaxLength, Topology topology, bool profiled)
    {
        var settings = Settings(userStreamMaxLength);
        // The host hands its settings to the worker as environment variables: the worker's runtime knobs go the same way.
        if (!topology.InProcess) foreach (var (name, value) in AppProcess.Environment(profiled)) settings[name] = value;
        var host = await LocalFunctionsHost.StartAsync(new FunctionsHostOptions
        {
            AppDirectory = topology.AppDirectory,
            Urls = "http://127.0.0.1:0",
            Settings = settings,
            ConfigureLogging = logging =>
            {
                // Errors only, whatever host.json says: the host's per-invocation lines would cost as much as a send.
                logging.Services.Configure<LoggerFilterOptions>(filters => filters.Rules.Clear());
                logging.SetMinimumLevel(LogLevel.Error);
                // No AzureWebJobsStorage on purpose: the host's error saying its timers do not run is expected.
                logging.AddFilter("Host.Triggers.Timer", LogLevel.None);
                logging.AddSimpleConsole(o => o.SingleLine = true);
            },
            InProcessApp = topology.InProcess ? (worker, configuration) => worker.AddPushFunctions(configuration) : null,
        });
        _apps.Add(host);
        return host.Url;
    }

    /// <summary>The app's services built in this process from the same settings (the worker has its own).</summary>
    private IServiceProvider AppServicesHere(int userStreamMaxLength)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(Settings(userStreamMaxLength).Select(s => KeyValuePair.Create(s.Key.Replace("__", ":"), s.Value)))
            .Build();
        var services = new ServiceCollection().AddLogging();
        new ServicesOnly(services).AddPushFunctions(configuration);
        _appServices = services.BuildServiceProvider();
        return _appServices;
    }

    /// <summary>Takes the app's services, ignores its worker middleware (nothing is invoked here).</summary>
    private sealed class ServicesOnly(IServiceCollection services) : Microsoft.Azure.Functions.Worker.IFunctionsWorkerApplicationBuilder
    {
        public IServiceCollection Services { get; } = services;

        public Microsoft.Azure.Functions.Worker.IFunctionsWorkerApplicationBuilder Use(
            Func<Microsoft.Azure.Functions.Worker.Middleware.FunctionExecutionDelegate, Microsoft.Azure.Functions.Worker.Middleware.FunctionExecutionDelegate> middleware) => this;
    }

    /// <summary>The app's Release build output (bench/run.sh builds it): what the worker runs unless a package is named.</summary>
    public static string BuildOutput() => System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(ClusterScript())!, "..", "src", "PushFunctions", "bin", "Release", "net10.0"));

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
        foreach (var app in _apps)
        {
            var worker = app.WorkerProcessId;
            await app.DisposeAsync();
            if (worker is not null) AppProcess.DeletePerfMap(worker.Value);
        }
        if (_appServices is not null) await _appServices.DisposeAsync();
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
