using Microsoft.Azure.Functions.Worker;
using PushFunctions.Observability;

namespace PushFunctions.Http;

/// <summary>429 with Retry-After when the caller's server key or session has used up its bucket (<see cref="RateLimits"/>).</summary>
public sealed class RateLimitMiddleware(RateLimits rateLimits, PushTelemetry telemetry) : FrontDoorCheck(telemetry)
{
    protected override ValueTask<Refusal?> RefusalAsync(FunctionContext context, HttpContext http) =>
        ValueTask.FromResult(rateLimits.TryAcquire(http.Request) is { } wait
            ? new Refusal(StatusCodes.Status429TooManyRequests, RateLimits.Refusal, PushTelemetry.Refusals.RateLimit, wait)
            : null);
}
