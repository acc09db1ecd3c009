using Microsoft.Azure.Functions.Worker;
using PushFunctions.Observability;
using PushFunctions.Security;

namespace PushFunctions.Http;

/// <summary>429 with Retry-After when a session's user has used up the bucket all their sessions share (<see cref="RateLimits"/>).</summary>
public sealed class UserRateLimitMiddleware(RateLimits rateLimits, PushTelemetry telemetry) : FrontDoorCheck(telemetry)
{
    protected override ValueTask<Refusal?> RefusalAsync(FunctionContext context, HttpContext http) =>
        ValueTask.FromResult(context.TryGetCaller()?.User is { } user && rateLimits.TryAcquireForUser(user.UserId) is { } wait
            ? new Refusal(StatusCodes.Status429TooManyRequests, RateLimits.Refusal, PushTelemetry.Refusals.UserRateLimit, wait)
            : null);
}
