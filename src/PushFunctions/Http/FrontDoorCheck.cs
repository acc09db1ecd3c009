using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using PushFunctions.Observability;

namespace PushFunctions.Http;

/// <summary>
/// One check of the front door (<see cref="FrontDoor"/>): a refusal is answered as problem+json and counted
/// (<see cref="PushTelemetry.Refused"/>), and the function never runs; otherwise the invocation goes on.
/// </summary>
public abstract class FrontDoorCheck(PushTelemetry telemetry) : IFunctionsWorkerMiddleware
{
    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        var http = context.GetHttpContext()!;
        var check = RefusalAsync(context, http);
        // Most checks answer at once: then no state machine is made for this middleware on every request.
        if (!check.IsCompletedSuccessfully) return InvokeAsync(check, context, next);
        return check.Result is { } refusal ? RefuseAsync(http, refusal) : next(context);
    }

    /// <returns>Why the request may not go on, or null when it may.</returns>
    protected abstract ValueTask<Refusal?> RefusalAsync(FunctionContext context, HttpContext http);

    private async Task InvokeAsync(ValueTask<Refusal?> check, FunctionContext context, FunctionExecutionDelegate next)
    {
        if (await check is { } refusal) await RefuseAsync(context.GetHttpContext()!, refusal);
        else await next(context);
    }

    private Task RefuseAsync(HttpContext http, Refusal refusal)
    {
        if (refusal.CountedAs is { } reason) telemetry.Refused(reason);
        return Problems.WriteAsync(http, refusal.Status, refusal.Title, refusal.RetryAfter);
    }
}
