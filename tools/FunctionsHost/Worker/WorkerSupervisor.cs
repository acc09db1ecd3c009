using FunctionsHost.Functions;
using FunctionsHost.Rpc;

namespace FunctionsHost.Worker;

/// <summary>A worker that has connected, initialised and loaded every function: where invocations go.</summary>
public sealed record ReadyWorker(WorkerProcess Process, WorkerChannel Channel, Uri HttpUri)
{
    /// <summary>Completes when the host wants this worker replaced (an invocation on it timed out).</summary>
    public TaskCompletionSource Replace { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The worker could not start: it exited, or did not connect or initialise in time. The message says why.</summary>
public sealed class WorkerStartException(string message, int exitCode) : Exception(message)
{
    /// <summary>The worker's exit code, or 1 when it did not exit by itself.</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// Starts the app's worker process and keeps one running, as the host's dispatcher does. The first start is the
/// conversation the host has with a new worker: StartStream, WorkerInitRequest (the worker answers with its
/// capabilities, among them HttpUri), FunctionsMetadataRequest (worker indexing), one FunctionLoadRequest per
/// function. A worker that exits while running is logged and replaced (the functions loaded again, invocations in
/// flight failed, new ones held until it is ready); at the third such exit within 30 minutes the host gives up and
/// stops, as the host does. A worker that cannot start the first time stops the host at once, with its output.
/// </summary>
public sealed class WorkerSupervisor(string appDirectory, Func<Uri> grpcUri, IReadOnlyDictionary<string, string?> environment, WorkerChannels channels, ILoggerFactory loggers)
    : IAsyncDisposable
{
    /// <summary>The Functions host release whose behaviour this host follows (sent as host_version).</summary>
    public const string HostVersion = "4.1037.0";

    /// <summary>From the worker's start to its StartStream: the host's ProcessStartupTimeout.</summary>
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Each reply during start-up (init, metadata, each load). The host allows 10 s for the init reply; a busy two-core
    /// machine can take longer to run the worker's first code, so this host allows more.
    /// </summary>
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>WorkerTerminate's grace period before the host kills the worker.</summary>
    private static readonly TimeSpan TerminateGrace = TimeSpan.FromSeconds(5);

    /// <summary>The host's worker restart limits: this many unexpected exits within the window stop the host.</summary>
    private const int ErrorsBeforeShutdown = 3;
    private static readonly TimeSpan ErrorWindow = TimeSpan.FromMinutes(30);

    /// <summary>The host's ProcessRestartInterval: one restart at a time, at least this long apart.</summary>
    private static readonly TimeSpan RestartInterval = TimeSpan.FromSeconds(10);

    /// <summary>How long an invocation waits for a worker while one is (re)starting: (errors + 1) × the init timeout, as the host waits.</summary>
    private static readonly TimeSpan WaitForWorker = (ErrorsBeforeShutdown + 1) * TimeSpan.FromSeconds(10);

    private readonly ILogger logger = loggers.CreateLogger("Host.Workers");
    private readonly ILogger consoleLogger = loggers.CreateLogger("Host.Function.Console");
    private readonly List<DateTimeOffset> errors = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource<int> gaveUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<ReadyWorker> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyList<FunctionInfo> functions = [];
    private Dictionary<string, RpcFunctionMetadata> loadable = [];
    private Task? supervising;

    /// <summary>The functions the worker indexed.</summary>
    public IReadOnlyList<FunctionInfo> Functions => functions;

    /// <summary>The running worker, or null while none is ready.</summary>
    public ReadyWorker? Current => ready.Task.IsCompletedSuccessfully ? ready.Task.Result : null;

    /// <summary>Completes with an exit code when the host must stop: the worker kept exiting.</summary>
    public Task<int> GaveUp => gaveUp.Task;

    /// <summary>Starts the first worker and asks it for its functions; throws <see cref="WorkerStartException"/> if it cannot start.</summary>
    public async Task StartAsync()
    {
        var first = await StartWorkerAsync(index: true);
        ready.SetResult(first);
        supervising = Task.Run(SuperviseAsync);
    }

    /// <summary>The ready worker; while one is restarting, waits for it (as the host holds invocations), up to a limit.</summary>
    public async Task<ReadyWorker> ReadyAsync(CancellationToken cancellation)
    {
        try
        {
            return await ready.Task.WaitAsync(WaitForWorker, cancellation);
        }
        catch (TimeoutException)
        {
            throw new WorkerGoneException($"No worker was ready within {WaitForWorker.TotalSeconds:F0} s.");
        }
    }

    /// <summary>
    /// What the host does when an invocation times out: restart the worker that runs it, if it still does (a deliberate
    /// restart, not counted as a worker error). Its other invocations fail with it.
    /// </summary>
    public void ReplaceIfRunning(string invocationId)
    {
        if (Current is { } worker && worker.Channel.IsRunning(invocationId))
        {
            logger.LogWarning("A function timeout has occurred. Restarting worker process executing invocationId '{InvocationId}'.", invocationId);
            worker.Replace.TrySetResult();
        }
    }

    private async Task SuperviseAsync()
    {
        var lastRestart = DateTimeOffset.MinValue;
        var worker = await ready.Task;
        while (!stopping.IsCancellationRequested)
        {
            await Task.WhenAny(worker.Process.Exited, worker.Channel.Closed, worker.Replace.Task, Task.Delay(Timeout.Infinite, stopping.Token)).ConfigureAwait(false);
            if (stopping.IsCancellationRequested) return;
            ready = new TaskCompletionSource<ReadyWorker>(TaskCreationOptions.RunContinuationsAsynchronously);
            var deliberate = worker.Replace.Task.IsCompleted;
            if (!deliberate)
            {
                // The stream usually breaks a moment before the exit is seen: wait a little for the exit code.
                await Task.WhenAny(worker.Process.Exited, Task.Delay(TimeSpan.FromSeconds(5)));
                var code = worker.Process.Exited.IsCompleted ? $" with code {worker.Process.Exited.Result}" : " (its stream ended)";
                logger.LogError("Language Worker Process exited{Code}. Pid={Pid}.", code, worker.Process.Id);
            }
            worker.Channel.Close(deliberate ? "the host restarted the worker" : "the worker process exited");
            await worker.Process.DisposeAsync();
            channels.Remove(worker.Channel);
            if (!deliberate && !CountError()) return;

            while (true)
            {
                var wait = lastRestart + RestartInterval - DateTimeOffset.UtcNow;
                try
                {
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, stopping.Token);
                    lastRestart = DateTimeOffset.UtcNow;
                    worker = await StartWorkerAsync(index: false);
                    ready.SetResult(worker);
                    break;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (WorkerStartException e)
                {
                    logger.LogError("The restarted worker could not start: {Problem}", e.Message);
                    if (!CountError()) return;
                }
            }
        }
    }

    /// <summary>Records a worker error; false (and the host told to stop) when it is one too many.</summary>
    private bool CountError()
    {
        var now = DateTimeOffset.UtcNow;
        // The host forgets earlier errors when one comes more than the window after the last.
        if (errors.Count > 0 && now - errors[^1] > ErrorWindow) errors.Clear();
        errors.Add(now);
        if (errors.Count < ErrorsBeforeShutdown) return true;
        logger.LogCritical("Exceeded language worker restart retry count for runtime:dotnet-isolated. Shutting down and proactively recycling the Functions Host to recover");
        gaveUp.TrySetResult(1);
        return false;
    }

    private async Task<ReadyWorker> StartWorkerAsync(bool index)
    {
        var workerId = Guid.NewGuid().ToString();
        var channel = new WorkerChannel(workerId, loggers);
        channels.Add(channel);
        WorkerProcess process;
        try
        {
            process = WorkerProcess.Start(appDirectory, workerId, grpcUri(), environment, consoleLogger, logger);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or FileNotFoundException or InvalidOperationException)
        {
            channels.Remove(channel);
            throw new WorkerStartException($"The worker process could not be started: {e.Message}", 1);
        }
        _ = process.Exited.ContinueWith(t => channel.Close($"the worker process exited with code {t.Result}"), TaskScheduler.Default);
        try
        {
            return await InitializeAsync(process, channel, index);
        }
        catch (Exception e) when (e is WorkerGoneException or TimeoutException or WorkerStartException or OperationCanceledException)
        {
            process.Kill();
            var code = await process.Exited.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : 1, TaskScheduler.Default);
            await process.DisposeAsync();
            channels.Remove(channel);
            if (e is OperationCanceledException) throw;
            var output = process.OutputTail;
            throw new WorkerStartException(
                $"The worker process (pid {process.Id}) could not start: {e.Message}" +
                (output.Length > 0 ? $"{Environment.NewLine}Its last output:{Environment.NewLine}{output}" : ""),
                code == 0 ? 1 : code);
        }
    }

    private async Task<ReadyWorker> InitializeAsync(WorkerProcess process, WorkerChannel channel, bool index)
    {
        var connected = await Task.WhenAny(channel.Connected, process.Exited, Task.Delay(StartupTimeout, stopping.Token));
        stopping.Token.ThrowIfCancellationRequested();
        if (connected == process.Exited) throw new WorkerGoneException($"it exited with code {process.Exited.Result} before it connected");
        if (connected != channel.Connected) throw new TimeoutException($"it did not connect within {StartupTimeout.TotalSeconds:F0} s");
        await channel.Connected;

        // This host advertises no capabilities of its own: it keeps one stream per worker (no MultiStream) and shares no memory.
        var init = (await channel.RequestAsync(new StreamingMessage
        {
            WorkerInitRequest = new WorkerInitRequest { HostVersion = HostVersion, WorkerDirectory = appDirectory, FunctionAppDirectory = appDirectory },
        }, StreamingMessage.ContentOneofCase.WorkerInitResponse, ReplyTimeout, stopping.Token)).WorkerInitResponse;
        ThrowIfFailed(init.Result, "its initialisation failed");
        if (!init.Capabilities.TryGetValue("HttpUri", out var httpUri) || !Uri.TryCreate(httpUri, UriKind.Absolute, out var uri))
            throw new WorkerStartException("it has no HttpUri capability: this host forwards HTTP requests to the worker's ASP.NET Core integration (ConfigureFunctionsWebApplication) only", 1);
        channel.HandlesTerminate = init.Capabilities.ContainsKey("HandlesWorkerTerminateMessage");

        if (index)
        {
            var metadata = (await channel.RequestAsync(new StreamingMessage
            {
                FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = appDirectory },
            }, StreamingMessage.ContentOneofCase.FunctionMetadataResponse, ReplyTimeout, stopping.Token)).FunctionMetadataResponse;
            ThrowIfFailed(metadata.Result, "indexing its functions failed");
            if (metadata.UseDefaultMetadataIndexing)
                throw new WorkerStartException("it asks the host to index its functions; this host knows them only from the worker (worker indexing)", 1);
            loadable = metadata.FunctionMetadataResults.ToDictionary(f => f.FunctionId);
            functions = metadata.FunctionMetadataResults
                .Select(f => new FunctionInfo(f.FunctionId, f.Name, f.EntryPoint, f.ScriptFile, f.Language, f.RawBindings.ToList()))
                .ToList();
        }

        // One FunctionLoadRequest per function (the worker handles these, not the collection form).
        var loads = await Task.WhenAll(loadable.Values.Select(f => channel.LoadAsync(new FunctionLoadRequest { FunctionId = f.FunctionId, Metadata = f }, ReplyTimeout, stopping.Token)));
        foreach (var load in loads) ThrowIfFailed(load.Result, $"loading function {loadable[load.FunctionId].Name} failed");
        logger.LogInformation("Worker process started and initialized (pid {Pid}, {Count} functions, HTTP at {HttpUri}).", process.Id, loads.Length, uri);
        return new ReadyWorker(process, channel, uri);
    }

    private static void ThrowIfFailed(StatusResult? result, string what)
    {
        if (result is null || result.Status == StatusResult.Types.Status.Success) return;
        var exception = result.Exception is { } e ? $"{e.Type}: {e.Message}" : result.Result;
        throw new WorkerStartException($"{what}: {exception}", 1);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (supervising is not null) await supervising;
        if (Current is { } worker)
        {
            if (worker.Channel.HandlesTerminate)
            {
                worker.Channel.Terminate(TerminateGrace);
                await Task.WhenAny(worker.Process.Exited, Task.Delay(TerminateGrace));
            }
            worker.Channel.Close("the host stopped");
            await worker.Process.DisposeAsync();
        }
        ready.TrySetException(new WorkerGoneException("The host stopped."));
    }
}
