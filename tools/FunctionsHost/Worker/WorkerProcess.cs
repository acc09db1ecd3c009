using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace FunctionsHost.Worker;

/// <summary>
/// One worker process, started the way the host starts a .NET isolated worker: the app's
/// <c>worker.config.json</c> names the program (<c>dotnet</c>) and the worker (<c>PushFunctions.dll</c>), the working
/// folder is the app folder, the arguments name the host's gRPC endpoint, and the environment is the app settings
/// plus <c>FUNCTIONS_APPLICATION_DIRECTORY</c> and <c>FUNCTIONS_WORKER_DIRECTORY</c>. Its console output goes to the
/// host's log. It never outlives the host: a watchdog kills it when the host process ends, however it ends.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    /// <summary>The host's gRPC message limit, passed to the worker (without it the worker reads 0).</summary>
    public const int MaxMessageLength = int.MaxValue;

    private readonly Process process;
    private readonly ILogger logger;
    private readonly ConcurrentQueue<string> lastLines = new();
    private readonly TaskCompletionSource<int> exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? watchdog;

    private WorkerProcess(ProcessStartInfo start, string workerId, ILogger logger)
    {
        process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Output(e.Data, error: false);
        process.ErrorDataReceived += (_, e) => Output(e.Data, error: true);
        process.Exited += (_, _) => OnExited();
        this.logger = logger;
        WorkerId = workerId;
    }

    public string WorkerId { get; }

    /// <summary>The operating system's process id.</summary>
    public int Id { get; private set; }

    /// <summary>Completes with the exit code when the process has exited.</summary>
    public Task<int> Exited => exited.Task;

    /// <summary>The last lines the worker wrote to its console (for the message when it could not start).</summary>
    public string OutputTail => string.Join(Environment.NewLine, lastLines);

    /// <param name="logger">Where the worker's console output goes.</param>
    /// <param name="hostLogger">Where the host says what it started.</param>
    public static WorkerProcess Start(string appDirectory, string workerId, Uri grpcUri, IReadOnlyDictionary<string, string?> environment, ILogger logger, ILogger hostLogger)
    {
        var (executable, workerPath) = ReadWorkerConfig(appDirectory);
        var requestId = Guid.NewGuid().ToString();
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = appDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        start.ArgumentList.Add(workerPath);
        // The host's arguments (RpcWorkerContext): the older names, which worker 2.x ignores, then the functions-* ones it reads.
        foreach (var (name, value) in new[]
                 {
                     ("--host", grpcUri.Host), ("--port", grpcUri.Port.ToString()), ("--workerId", workerId), ("--requestId", requestId),
                     ("--grpcMaxMessageLength", MaxMessageLength.ToString()),
                     ("--functions-uri", grpcUri.AbsoluteUri), ("--functions-worker-id", workerId), ("--functions-request-id", requestId),
                     ("--functions-grpc-max-message-length", MaxMessageLength.ToString()),
                 })
        {
            start.ArgumentList.Add(name);
            start.ArgumentList.Add(value);
        }
        start.Environment.Clear();
        foreach (var (name, value) in environment)
            if (value is not null) start.Environment[name] = value;
        start.Environment["FUNCTIONS_WORKER_DIRECTORY"] = appDirectory;
        start.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = appDirectory;
        // The worker listens where its ASP.NET Core integration says (HttpUri), not where an outer environment says.
        start.Environment.Remove("ASPNETCORE_URLS");

        var worker = new WorkerProcess(start, workerId, logger);
        worker.process.Start();
        worker.Id = worker.process.Id;
        worker.watchdog = StartWatchdog(worker.Id, logger);
        worker.process.BeginOutputReadLine();
        worker.process.BeginErrorReadLine();
        hostLogger.LogInformation("Worker process started: {Executable} {Arguments} (pid {Pid}, in {Directory})",
            executable, string.Join(' ', start.ArgumentList), worker.Id, appDirectory);
        return worker;
    }

    /// <summary>SIGKILL, as the host ends a worker that did not stop in time or that it restarts.</summary>
    public void Kill()
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await Exited.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Worker process {Pid} did not exit within 10 s of SIGKILL.", Id);
        }
        StopWatchdog();
        process.Dispose();
        watchdog?.Dispose();
    }

    private void Output(string? line, bool error)
    {
        if (line is null) return;
        lastLines.Enqueue(line);
        while (lastLines.Count > 30 && lastLines.TryDequeue(out _))
        {
        }
        if (error) logger.LogError("{Line}", line);
        else logger.LogInformation("{Line}", line);
    }

    private void OnExited()
    {
        StopWatchdog();
        // Output may still be draining; WaitForExit() returns once it has been read.
        process.WaitForExit();
        exited.TrySetResult(process.ExitCode);
    }

    private void StopWatchdog()
    {
        try
        {
            if (watchdog is { HasExited: false }) watchdog.Kill();
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>
    /// A shell that holds one end of a pipe whose other end only this host process has: when the host ends (even by
    /// SIGKILL) the pipe closes, <c>read</c> returns and the worker is killed. A worker whose host is gone would keep
    /// its ports and go on running timers nobody supervises.
    /// </summary>
    private static Process? StartWatchdog(int workerPid, ILogger logger)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("read -r _; kill -KILL \"$1\" 2>/dev/null");
        start.ArgumentList.Add("functions-host-watchdog");
        start.ArgumentList.Add(workerPid.ToString());
        try
        {
            return Process.Start(start);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            logger.LogWarning("No watchdog for worker {Pid} ({Problem}): if this host is killed, kill the worker too.", workerPid, e.Message);
            return null;
        }
    }

    /// <summary>worker.config.json's <c>defaultExecutablePath</c> and <c>defaultWorkerPath</c>, as the host reads them.</summary>
    private static (string Executable, string WorkerPath) ReadWorkerConfig(string appDirectory)
    {
        var path = Path.Combine(appDirectory, "worker.config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"No worker.config.json in the app folder {appDirectory}: is it the app's build output?", path);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var description = document.RootElement.GetProperty("description");
        return (description.GetProperty("defaultExecutablePath").GetString()!, description.GetProperty("defaultWorkerPath").GetString()!);
    }
}
