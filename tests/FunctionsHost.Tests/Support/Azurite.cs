using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FunctionsHost.Tests.Support;

/// <summary>Paths of the repository the tests run in.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// The app's build output in the tests' configuration (src/PushFunctions/bin/Release/net10.0 after a Release build):
    /// the folder scripts/package.sh zips, which the host runs unmodified.
    /// </summary>
    public static string AppDirectory
    {
        get
        {
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            return Path.Combine(Root, "src", "PushFunctions", "bin", tfm.Parent!.Name, tfm.Name);
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "azurite.sh"))) return dir.FullName;
        throw new InvalidOperationException("No scripts/azurite.sh above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// Azurite's blob service, the Functions host's storage (AzureWebJobsStorage), started by scripts/azurite.sh on a free
/// port with its data in memory, as the scripts and the other harnesses start it. Stopped on dispose.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    private readonly Process? process;

    private Azurite(string connectionString, Process? process)
    {
        ConnectionString = connectionString;
        this.process = process;
    }

    /// <summary>The AzureWebJobsStorage connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>PUSH_TEST_STORAGE's Azurite when scripts/test.sh started one for every suite (not stopped here), else a new one.</summary>
    public static async Task<Azurite> StartOrSharedAsync() =>
        Environment.GetEnvironmentVariable("PUSH_TEST_STORAGE") is { Length: > 0 } shared ? new Azurite(shared, null) : await StartAsync();

    public static async Task<Azurite> StartAsync()
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repo.Root, "scripts", "azurite.sh"));
        start.ArgumentList.Add(FreePort().ToString());
        start.ArgumentList.Add("memory");
        var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        string? connection = null;
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        void Read(string? line)
        {
            if (line is null) return;
            lock (output) output.Add(line);
            if (line.StartsWith("AzureWebJobsStorage: ", StringComparison.Ordinal)) connection = line["AzureWebJobsStorage: ".Length..];
            if (line.Contains("successfully listens on", StringComparison.Ordinal)) listening.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => Read(e.Data);
        process.ErrorDataReceived += (_, e) => Read(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Watchdog(process.Id);
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill();
            process.Dispose();
            throw new InvalidOperationException("Azurite did not start (bash scripts/ensure-deps.sh azurite?): " + string.Join(" | ", output));
        }
        return new Azurite(connection!, process);
    }

    /// <summary>A shell that kills Azurite if this test process dies without disposing it.</summary>
    private static void Watchdog(int azuritePid)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"while kill -0 {Environment.ProcessId} 2>/dev/null; do kill -0 {azuritePid} 2>/dev/null || exit 0; sleep 1; done; kill -9 {azuritePid} 2>/dev/null");
        Process.Start(start)?.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (process is null) return;
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
