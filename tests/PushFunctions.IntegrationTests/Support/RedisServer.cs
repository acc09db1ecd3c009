using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PushFunctions.IntegrationTests.Support;

/// <summary>
/// A real redis-server process on a free loopback port, no persistence, in its own temp dir. It can be stopped and
/// started again on the same port (the Redis-down test). A watchdog shell kills it if this test process dies
/// without disposing (killed runner, crash), so no test run leaves a server behind.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
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

    private static string FindExecutable()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Append("/usr/local/bin"))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("redis-server is not installed: run scripts/ensure-deps.sh (apt-get install -y redis-server).");
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
