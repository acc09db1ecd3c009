using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using PushFunctions.Observability;
using PushFunctions.Security;
using PushFunctions.SignalR;
using StackExchange.Redis;

namespace PushFunctions.Http;

/// <summary>
/// The checks in front of every HTTP function, written once: size guards, rate limits, the credential the
/// function declares with <see cref="AcceptsAttribute"/> (401 when missing or wrong, 403 when it is another
/// kind), and failures as problem+json (503 + Retry-After while Redis or SignalR Service is down), reported to the host
/// as failed invocations.
/// </summary>
public sealed class FrontDoorMiddleware(FunctionCatalog functions, RateLimits rateLimits, Authenticator authenticator, PushTelemetry telemetry, ILogger<FrontDoorMiddleware> logger)
    : IFunctionsWorkerMiddleware
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);
    public const string MissingCredentials =
        "Credentials are missing: send the server key (x-functions-key), a session token (Authorization: Bearer) or a signed upstream request.";
    public const string WrongCredentialKind = "These credentials may not call this route.";

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        var http = context.GetHttpContext();
        if (http is null)
        {
            await next(context); // a timer: nothing to guard
            return;
        }

        try
        {
            if (RequestGuards.Refusal(http.Request) is { } refusal)
            {
                await Problems.WriteAsync(http, refusal.Status, refusal.Title);
                return;
            }
            if (rateLimits.TryAcquire(http.Request) is { } wait)
            {
                telemetry.Refused(PushTelemetry.Refusals.RateLimit);
                await Problems.WriteAsync(http, StatusCodes.Status429TooManyRequests, RateLimits.Refusal, wait);
                return;
            }

            var function = functions[context.FunctionDefinition.Name];
            if (!function.IsAnonymous)
            {
                var authentication = await authenticator.AuthenticateAsync(http.Request, function.Accepts.Contains(Credential.Upstream), http.RequestAborted);
                if (authentication.Caller is not { } caller)
                {
                    telemetry.Refused(PushTelemetry.Refusals.Credentials);
                    await Problems.WriteAsync(http, StatusCodes.Status401Unauthorized, authentication.Failure ?? MissingCredentials);
                    return;
                }
                if (!function.Accepts.Contains(caller.Credential))
                {
                    telemetry.Refused(PushTelemetry.Refusals.CredentialKind);
                    await Problems.WriteAsync(http, StatusCodes.Status403Forbidden, WrongCredentialKind);
                    return;
                }
                if (caller.User is { } user && rateLimits.TryAcquireForUser(user.UserId) is { } userWait)
                {
                    telemetry.Refused(PushTelemetry.Refusals.UserRateLimit);
                    await Problems.WriteAsync(http, StatusCodes.Status429TooManyRequests, RateLimits.Refusal, userWait);
                    return;
                }
                context.SetCaller(caller);
            }

            await next(context);
        }
        catch (Exception e)
        {
            await AnswerAsync(http, e);
            // A 5xx is a failed invocation: rethrown once answered, so the worker reports it to the host, which logs and
            // counts it as failed; the client already has its problem+json.
            if (http.Response.StatusCode >= StatusCodes.Status500InternalServerError) throw;
        }
    }

    /// <summary>A down dependency is 503 with Retry-After; anything else is logged and answered 500 without details.</summary>
    private async Task AnswerAsync(HttpContext http, Exception exception)
    {
        var request = http.Request;
        switch (exception)
        {
            case RedisConnectionException or RedisTimeoutException or ObjectDisposedException { ObjectName: "ConnectionMultiplexer" }:
            // A cluster's node for the key's slot not connected, the cluster down, a node loading after a restart: the same outage.
            case RedisServerException when exception.Message.Contains("is not reachable", StringComparison.Ordinal)
                || exception.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal) || exception.Message.StartsWith("LOADING", StringComparison.Ordinal)
                || exception.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal):
                telemetry.DependencyUnavailable(PushTelemetry.Dependencies.Redis);
                logger.LogWarning("Redis unavailable for {Method} {Path}: {Message}", request.Method, request.Path, exception.Message);
                // A command cut off mid-flight may have run, so never claim nothing was stored: point to the safe retry.
                await Problems.WriteAsync(http, StatusCodes.Status503ServiceUnavailable,
                    "Storage (Redis) is unavailable. Retry after the Retry-After delay with the same Idempotency-Key, so a send that did land is not stored twice.", RetryAfter);
                return;

            case SignalRException signalR:
                telemetry.DependencyUnavailable(PushTelemetry.Dependencies.SignalR);
                logger.LogWarning("SignalR Service unavailable for {Method} {Path}: {Message}", request.Method, request.Path, signalR.Message);
                await Problems.WriteAsync(http, StatusCodes.Status503ServiceUnavailable,
                    "SignalR Service is unavailable; the change was not completed. Retry after the Retry-After delay (it is safe to repeat).", RetryAfter);
                return;

            // The server's own refusals while reading the request (a body shorter than its Content-Length, a
            // connection cut mid-body): the client's fault, answered as such when it is still listening.
            case BadHttpRequestException bad:
                await Problems.WriteAsync(http, bad.StatusCode, $"The request could not be read: {bad.Message}");
                return;

            case EndOfStreamException:
                await Problems.WriteAsync(http, StatusCodes.Status400BadRequest, "The request body ended before its Content-Length.");
                return;

            case OperationCanceledException when http.RequestAborted.IsCancellationRequested:
                return;

            default:
                logger.LogError(exception, "Unhandled failure in {Method} {Path}", request.Method, request.Path);
                await Problems.WriteAsync(http, StatusCodes.Status500InternalServerError, "An unexpected error occurred; it has been logged.");
                return;
        }
    }
}
