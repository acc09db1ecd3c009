using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PushFunctions.IntegrationTests.Support;

/// <summary>The Redis a test system runs against: one redis-server, or a Redis Cluster.</summary>
public interface ITestRedis : IAsyncDisposable
{
    /// <summary>The StackExchange.Redis configuration string (every endpoint of a cluster).</summary>
    string ConnectionString { get; }
}

/// <summary>
/// A real Redis Cluster on loopback, as Azure Managed Redis is one: three masters (<c>redis-server --cluster-enabled
/// yes</c>, each a <see cref="RedisServer"/> with its own port and temp dir), the slots spread over them by
/// <c>redis-cli --cluster create</c>, no replicas. A script or command touching keys of two slots fails here with
/// CROSSSLOT, as it would in Azure.
/// </summary>
public sealed class RedisCluster : ITestRedis
{
    private readonly List<RedisServer> _nodes = [];

    public IReadOnlyList<RedisServer> Nodes => _nodes;

    public string ConnectionString => string.Join(",", _nodes.Select(n => n.ConnectionString));

    /// <summary>Whether the tests run against a cluster: <c>PUSH_TEST_REDIS=cluster</c> (scripts/test.sh sets it for a second run).</summary>
    public static bool Requested => string.Equals(Environment.GetEnvironmentVariable("PUSH_TEST_REDIS"), "cluster", StringComparison.OrdinalIgnoreCase);

    public static async Task<ITestRedis> StartRequestedAsync() => Requested ? await StartAsync() : await RedisServer.StartAsync();

    public static async Task<RedisCluster> StartAsync(int masters = 3)
    {
        var cluster = new RedisCluster();
        try
        {
            for (var i = 0; i < masters; i++)
                // The bus port chosen free too: by default it is the node's port + 10000, which another process may hold.
                cluster._nodes.Add(await RedisServer.StartAsync("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
                    "--cluster-port", RedisServer.FreePort().ToString()));
            await cluster.CreateAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task CreateAsync()
    {
        var start = new ProcessStartInfo(RedisServer.FindProgram("redis-cli")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--cluster", "create" }.Concat(_nodes.Select(n => n.ConnectionString)).Concat(["--cluster-replicas", "0", "--cluster-yes"]))
            start.ArgumentList.Add(argument);
        using var create = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start.");
        var output = create.StandardOutput.ReadToEndAsync();
        var error = create.StandardError.ReadToEndAsync();
        await create.WaitForExitAsync();
        if (create.ExitCode != 0)
            throw new InvalidOperationException($"redis-cli --cluster create failed ({create.ExitCode}): {await output}{await error}");

        // Every node must know every slot's owner before a client's first command.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        foreach (var node in _nodes)
        {
            while (!(await node.CommandAsync("CLUSTER INFO")).Contains("cluster_state:ok", StringComparison.Ordinal))
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"the cluster did not reach cluster_state:ok (node {node.Port}).");
                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        _nodes.Clear();
    }
}

/// <summary>
/// A real redis-server process on a free loopback port, no persistence, in its own temp dir. It can be stopped and
/// started again on the same port (the Redis-down test). A watchdog shell kills it if this test process dies
/// without disposing (killed runner, crash), so no test run leaves a server behind.
/// </summary>
public sealed class RedisServer : ITestRedis
{
    private readonly string _directory;
    private readonly string _executable;
    private Process? _process;
    private Process? _watchdog;
    private readonly StringBuilder _output = new();
    private readonly string[] _configuration;

    private RedisServer(string executable, int port, string[] configuration)
    {
        _executable = executable;
        _configuration = configuration;
        Port = port;
        _directory = Directory.CreateTempSubdirectory("pf-it-redis-").FullName;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string of this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <param name="configuration">More redis-server arguments, e.g. <c>--user name on &gt;password ~* +@all</c>; kept for restarts.</param>
    public static async Task<RedisServer> StartAsync(params string[] configuration)
    {
        var server = new RedisServer(FindExecutable(), FreePort(), configuration);
        try
        {
            await server.StartAsync(TimeSpan.FromSeconds(20));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts (again) on <see cref="Port"/> and waits until it answers PING.</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        if (IsRunning) return;
        var start = new ProcessStartInfo(_executable)
        {
            WorkingDirectory = _directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--dir", _directory, "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning",
                 }.Concat(_configuration))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _watchdog = StartWatchdog(process.Id);

        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await PingAsync())
        {
            if (process.HasExited)
                throw new InvalidOperationException($"redis-server exited with {process.ExitCode} on port {Port}: {Output}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"redis-server on port {Port} did not answer PING. Output: {Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>Stops the server (SIGTERM, then SIGKILL) and waits for it to exit; the port is then closed.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is not null)
        {
            try
            {
                if (!process.HasExited)
                {
                    using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
                    using var graceful = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    try
                    {
                        await process.WaitForExitAsync(graceful.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        process.Kill(entireProcessTree: true);
                        await process.WaitForExitAsync();
                    }
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            finally
            {
                process.Dispose();
            }
        }
        StopWatchdog();
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>A raw PING over TCP: true when the server answers, +PONG or (its default user off) -NOAUTH.</summary>
    public async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            var reply = Encoding.ASCII.GetString(buffer, 0, read);
            return reply.StartsWith("+PONG", StringComparison.Ordinal) || reply.StartsWith("-NOAUTH", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Kills redis-server when this process is gone, whatever ended it.</summary>
    private Process? StartWatchdog(int redisPid)
    {
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do kill -0 {redisPid} 2>/dev/null || exit 0; sleep 1; done; " +
                     $"kill -9 {redisPid} 2>/dev/null; rm -rf '{_directory}'; exit 0";
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        try
        {
            return Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no shell: dispose still stops the server
        }
    }

    private void StopWatchdog()
    {
        var watchdog = _watchdog;
        _watchdog = null;
        if (watchdog is null) return;
        try
        {
            if (!watchdog.HasExited) watchdog.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        watchdog.Dispose();
    }

    private static string FindExecutable() => FindProgram("redis-server");

    /// <summary>A program of the redis-server package (redis-server, redis-cli) on PATH.</summary>
    internal static string FindProgram(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Append("/usr/local/bin"))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"{name} is not installed: run scripts/ensure-deps.sh (apt-get install -y redis-server).");
    }

    /// <summary>Sends one inline command over raw TCP and returns the reply's text ("" when nothing answers).</summary>
    public async Task<string> CommandAsync(string command)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), timeout.Token);
            var buffer = new byte[16384];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return "";
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
