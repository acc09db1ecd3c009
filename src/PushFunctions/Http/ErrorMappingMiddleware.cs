using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using PushFunctions.Observability;
using PushFunctions.SignalR;

namespace PushFunctions.Http;

/// <summary>
/// Answers a failure behind it as problem+json: a dependency that is down (Redis, SignalR Service) is 503 with
/// Retry-After, a request the server could not read is the client's 4xx, anything else is logged and answered 500
/// without details. A 5xx is also a failed invocation: the failure is rethrown once answered, so the worker reports it to
/// the host, which logs and counts it as failed.
/// </summary>
public sealed class ErrorMappingMiddleware(PushTelemetry telemetry, ILogger<ErrorMappingMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e)
        {
            var http = context.GetHttpContext()!;
            await AnswerAsync(http, e);
            // The client already has its problem+json; the host still has to see the invocation fail.
            if (http.Response.StatusCode >= StatusCodes.Status500InternalServerError) throw;
        }
    }

    private Task AnswerAsync(HttpContext http, Exception exception) => exception switch
    {
        _ when IsRedisOutage(exception) =>
            // A command cut off mid-flight may have run, so never claim nothing was stored: point to the safe retry.
            UnavailableAsync(http, PushTelemetry.Dependencies.Redis, exception,
                "Storage (Redis) is unavailable. Retry after the Retry-After delay with the same Idempotency-Key, so a send that did land is not stored twice."),
        SignalRException => UnavailableAsync(http, PushTelemetry.Dependencies.SignalR, exception,
            "SignalR Service is unavailable; the change was not completed. Retry after the Retry-After delay (it is safe to repeat)."),
        // The server's own refusals while reading the request (a body shorter than its Content-Length, a connection
        // cut mid-body): the client's fault, answered as such when it is still listening.
        BadHttpRequestException bad => Problems.WriteAsync(http, bad.StatusCode, $"The request could not be read: {bad.Message}"),
        EndOfStreamException => Problems.WriteAsync(http, StatusCodes.Status400BadRequest, "The request body ended before its Content-Length."),
        OperationCanceledException when http.RequestAborted.IsCancellationRequested => Task.CompletedTask,
        _ => UnexpectedAsync(http, exception),
    };

    /// <summary>
    /// Redis is down: no connection, a timeout, the connection disposed while the app stops; or, on a cluster, the
    /// node for the key's slot not connected, the cluster down, a node loading after a restart.
    /// </summary>
    private static bool IsRedisOutage(Exception exception) =>
        exception is StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException
            or ObjectDisposedException { ObjectName: "ConnectionMultiplexer" }
        || exception is StackExchange.Redis.RedisServerException { Message: var error } && (error.Contains("is not reachable", StringComparison.Ordinal)
            || error.StartsWith("CLUSTERDOWN", StringComparison.Ordinal) || error.StartsWith("LOADING", StringComparison.Ordinal)
            || error.StartsWith("TRYAGAIN", StringComparison.Ordinal));

    /// <summary>503 with Retry-After: <paramref name="dependency"/> is down.</summary>
    private Task UnavailableAsync(HttpContext http, string dependency, Exception exception, string title)
    {
        telemetry.DependencyUnavailable(dependency);
        logger.LogWarning("{Dependency} unavailable for {Method} {Path}: {Message}", dependency, http.Request.Method, http.Request.Path, exception.Message);
        return Problems.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, title, Problems.RetryAfter);
    }

    /// <summary>500: logged with its details, answered without them.</summary>
    private Task UnexpectedAsync(HttpContext http, Exception exception)
    {
        logger.LogError(exception, "Unhandled failure in {Method} {Path}", http.Request.Method, http.Request.Path);
        return Problems.WriteAsync(http, StatusCodes.Status500InternalServerError, "An unexpected error occurred; it has been logged.");
    }
}
