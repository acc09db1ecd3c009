using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using FunctionsHost.Functions;

namespace FunctionsHost.Invocations;

/// <summary>
/// Runs every invocation the way the host records it: "Executing" and "Executed (Succeeded|Failed)" lines in the
/// function's log category, a count per function and outcome (also as the <c>functions.invocations</c> counter of the
/// <c>FunctionsHost</c> meter), and <c>functionTimeout</c>: past it the invocation is cancelled, logged and counted as
/// failed, and the invoker does what the host does then (restart the worker that runs it).
/// </summary>
public sealed class InvocationRunner(IFunctionInvoker invoker, TimeSpan? functionTimeout, ILoggerFactory loggers) : IDisposable
{
    public const string MeterName = "FunctionsHost";
    private readonly (Meter Meter, Counter<long> Invocations) instruments = CreateInstruments();
    private readonly ConcurrentDictionary<string, ILogger> functionLoggers = new();
    private readonly ConcurrentDictionary<(string Function, InvocationStatus Status), long> counts = new();

    public IFunctionInvoker Invoker { get; } = invoker;

    /// <summary>Invocations of <paramref name="function"/> that ended with <paramref name="status"/>, since the host started.</summary>
    public long Count(string function, InvocationStatus status) => counts.GetValueOrDefault((function, status));

    public long Count(InvocationStatus status) => counts.Where(c => c.Key.Status == status).Sum(c => c.Value);

    public async Task<InvocationOutcome> RunAsync(FunctionInfo function, string reason, Func<Invocation, Task<InvocationOutcome>> invoke, CancellationToken cancellation)
    {
        var logger = functionLoggers.GetOrAdd(function.Name, name => loggers.CreateLogger($"Function.{name}"));
        using var timeout = new CancellationTokenSource();
        if (functionTimeout is { } limit) timeout.CancelAfter(limit);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, timeout.Token);
        var invocation = new Invocation(Guid.NewGuid().ToString(), function, linked.Token);

        // Guarded: with the lines off (the benchmark) an invocation pays nothing for them.
        var executionLines = logger.IsEnabled(LogLevel.Information);
        if (executionLines) logger.LogInformation("Executing '{Function}' (Reason='{Reason}', Id={InvocationId})", function.HostName, reason, invocation.Id);
        var started = Stopwatch.GetTimestamp();
        var running = Guarded(invoke, invocation);
        var expired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        InvocationOutcome result;
        using (timeout.Token.Register(() => expired.TrySetResult()))
        {
            if (await Task.WhenAny(running, expired.Task) == running)
            {
                result = await running;
            }
            else
            {
                logger.LogError("Timeout value of {Timeout} exceeded by function '{Function}' (Id: '{InvocationId}'). Initiating cancellation.",
                    functionTimeout, function.HostName, invocation.Id);
                result = InvocationOutcome.Failed($"Timeout value of {functionTimeout} was exceeded by function: {function.HostName}");
                await Invoker.OnTimeoutAsync(invocation);
            }
        }

        var duration = Stopwatch.GetElapsedTime(started);
        Record(function.Name, result.Status);
        if (result.Status == InvocationStatus.Succeeded)
        {
            if (executionLines) logger.LogInformation("Executed '{Function}' (Succeeded, Id={InvocationId}, Duration={Duration}ms)", function.HostName, invocation.Id, (long)duration.TotalMilliseconds);
        }
        else
        {
            logger.LogError("Executed '{Function}' ({Status}, Id={InvocationId}, Duration={Duration}ms): {Error}",
                function.HostName, result.Status, invocation.Id, (long)duration.TotalMilliseconds, result.Error);
        }
        return result;
    }

    private static async Task<InvocationOutcome> Guarded(Func<Invocation, Task<InvocationOutcome>> invoke, Invocation invocation)
    {
        try
        {
            return await invoke(invocation);
        }
        catch (Exception e)
        {
            return InvocationOutcome.Failed(e.Message);
        }
    }

    private void Record(string function, InvocationStatus status)
    {
        counts.AddOrUpdate((function, status), 1, (_, n) => n + 1);
        instruments.Invocations.Add(1, new KeyValuePair<string, object?>("function", function), new KeyValuePair<string, object?>("status", status.ToString()));
    }

    private static (Meter, Counter<long>) CreateInstruments()
    {
        var meter = new Meter(MeterName);
        return (meter, meter.CreateCounter<long>("functions.invocations", description: "Function invocations the host ran, by function and outcome."));
    }

    public void Dispose() => instruments.Meter.Dispose();
}
