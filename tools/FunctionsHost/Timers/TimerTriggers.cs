using FunctionsHost.Functions;
using FunctionsHost.Invocations;

namespace FunctionsHost.Timers;

/// <summary>Every timer function of the app, each a <see cref="TimerListener"/>, from the host's start to its stop.</summary>
public sealed class TimerTriggers : IAsyncDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> running = [];

    public TimerTriggers(IEnumerable<FunctionInfo> functions, string? storageConnection, string hostId, InvocationRunner runner,
        TimeSpan lockPeriod, TimeSpan recoveryInterval, TimeProvider time, ILoggerFactory loggers)
    {
        var timers = functions.Where(f => f.Timer is not null).ToList();
        var logger = loggers.CreateLogger("Host.Triggers.Timer");
        if (timers.Count == 0) return;
        if (storageConnection is null)
        {
            // The host will not run timer triggers without the storage their locks live in.
            logger.LogError("Timer functions ({Functions}) need the host's storage: set AzureWebJobsStorage (Azurite locally). They do not run.",
                string.Join(", ", timers.Select(t => t.HostName)));
            return;
        }
        var storage = new HostStorage(storageConnection, hostId);
        Listeners = timers.Select(f => new TimerListener(f, storage, runner, lockPeriod, recoveryInterval, time, logger)).ToList();
        logger.LogInformation("Timers keep their locks and status in container {Container} of AzureWebJobsStorage under host id {HostId}.", HostStorage.Container, hostId);
        running.AddRange(Listeners.Select(l => Task.Run(() => l.RunAsync(stopping.Token))));
    }

    public IReadOnlyList<TimerListener> Listeners { get; } = [];

    /// <summary>Stops every timer after its running invocation, and gives up its lock.</summary>
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await Task.WhenAll(running);
        stopping.Dispose();
    }
}
