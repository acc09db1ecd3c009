using FunctionsHost.Functions;

namespace FunctionsHost.Invocations;

/// <summary>One run of a function: its id (the host's invocation id), the function, and the token that cancels it.</summary>
public sealed record Invocation(string Id, FunctionInfo Function, CancellationToken Cancellation);

public enum InvocationStatus
{
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>How an invocation ended; <see cref="Error"/> says why it failed.</summary>
public sealed record InvocationOutcome(InvocationStatus Status, string? Error = null)
{
    public static InvocationOutcome Succeeded { get; } = new(InvocationStatus.Succeeded);

    public static InvocationOutcome Failed(string error) => new(InvocationStatus.Failed, error);
}

/// <summary>What runs the functions: the app's worker process over gRPC, or the app in this process.</summary>
public interface IFunctionInvoker
{
    /// <summary>Runs an HTTP function; its answer is written to <paramref name="http"/>'s response.</summary>
    Task<InvocationOutcome> InvokeHttpAsync(Invocation invocation, HttpContext http);

    /// <summary>Runs a timer function with the TimerInfo JSON the host sends.</summary>
    Task<InvocationOutcome> InvokeTimerAsync(Invocation invocation, string timerInfoJson);

    /// <summary>
    /// An invocation ran past <c>functionTimeout</c> and was cancelled: what the host does next. The host restarts the
    /// worker process that runs it, failing its other invocations too.
    /// </summary>
    Task OnTimeoutAsync(Invocation invocation);
}
