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
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (await RefusalAsync(context, context.GetHttpContext()!) is not { } refusal)
        {
            await next(context);
            return;
        }
        if (refusal.CountedAs is { } reason) telemetry.Refused(reason);
        await Problems.WriteAsync(context.GetHttpContext()!, refusal.Status, refusal.Title, refusal.RetryAfter);
    }

    /// <returns>Why the request may not go on, or null when it may.</returns>
    protected abstract ValueTask<Refusal?> RefusalAsync(FunctionContext context, HttpContext http);
}
