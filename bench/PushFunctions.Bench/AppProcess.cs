using System.Diagnostics;
using System.Text;

namespace PushFunctions.Bench;

/// <summary>
/// The app in a process of its own: tools/FunctionsDevHost's build output (<c>dotnet FunctionsDevHost.dll --urls ...</c>,
/// server GC as its Web SDK project sets), the round's settings as environment variables. Its CPU time and its
/// allocations are then the app's alone: the load tool, the clients, the emulator and Redis run elsewhere.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();

    private AppProcess(Process process, string directory, string url)
    {
        _process = process;
        Id = process.Id;
        _directory = directory;
        Url = url;
    }

    private const string AppVariablePrefix = "PF_BENCH_APP_";

    public string Url { get; }
    public int Id { get; }

    /// <summary>User + system CPU time of the whole process so far (every thread: GC, thread pool, I/O).</summary>
    public TimeSpan Cpu
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static async Task<AppProcess> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var dll = DevHostDll();
        var port = BenchSystem.FreePort();
        var url = $"http://127.0.0.1:{port}";
        // A working folder of its own: no local.settings.json is read from the caller's.
        var directory = Directory.CreateTempSubdirectory("pf-bench-app-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (var a in new[] { dll, "--urls", url }) start.ArgumentList.Add(a);
        foreach (var (name, value) in settings) start.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
        start.Environment["Logging__LogLevel__Default"] = "Error";
        // PF_BENCH_APP_X=V sets X=V for the app alone (a runtime knob to try, without touching the load tool).
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(n => n.StartsWith(AppVariablePrefix, StringComparison.Ordinal)))
            start.Environment[name[AppVariablePrefix.Length..]] = Environment.GetEnvironmentVariable(name);
        // JIT-compiled methods named in /tmp/perf-PID.map, so `perf` can name the app's frames (the stage profile).
        // Without W^X the JIT's code lies in anonymous memory, where perf looks the map up (with it, in a memfd it cannot name).
        start.Environment["DOTNET_PerfMapEnabled"] = "1";
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var app = new AppProcess(process, directory, url);
        BenchSystem.Watch(process, app.Keep);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(url + "/api/health");
                return app;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await app.DisposeAsync();
                throw new InvalidOperationException($"The app did not answer at {url}: {app.Output}");
            }
            await Task.Delay(100);
        }
    }

    private string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            if (_output.Length < 64 * 1024) _output.AppendLine(line);
        }
    }

    /// <summary>tools/FunctionsDevHost's build output of the configuration this tool was built in.</summary>
    private static string DevHostDll()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent?.Name ?? "Release";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "tools", "FunctionsDevHost", "bin", configuration, "net10.0", "FunctionsDevHost.dll");
            if (File.Exists(dll)) return dll;
        }
        throw new InvalidOperationException("tools/FunctionsDevHost is not built above " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { Directory.Delete(_directory, true); } catch (IOException) { }
        try { File.Delete($"/tmp/perf-{Id}.map"); } catch (IOException) { }
    }
}
