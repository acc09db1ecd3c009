using Microsoft.AspNetCore.Diagnostics;
using PushFunctions.SignalR;
using StackExchange.Redis;

namespace PushFunctions.Http;

/// <summary>
/// Turns failures into problem+json: a down dependency is 503 with Retry-After, a malformed request is 4xx with the
/// reason; anything else is logged and answered 500 without details.
/// </summary>
public sealed class PushExceptionHandler(ILogger<PushExceptionHandler> logger) : IExceptionHandler
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case RedisConnectionException or RedisTimeoutException or ObjectDisposedException { ObjectName: "ConnectionMultiplexer" }:
                logger.LogWarning("Redis unavailable for {Method} {Path}: {Message}", context.Request.Method, context.Request.Path, exception.Message);
                // A command cut off mid-flight may have run, so never claim nothing was stored: point to the safe retry.
                await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                    "Storage (Redis) is unavailable. Retry after the Retry-After delay with the same Idempotency-Key, so a send that did land is not stored twice.", RetryAfter);
                return true;

            case SignalRException signalR:
                logger.LogWarning("SignalR Service unavailable for {Method} {Path}: {Message}", context.Request.Method, context.Request.Path, signalR.Message);
                await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                    "SignalR Service is unavailable; the change was not completed. Retry after the Retry-After delay (it is safe to repeat).", RetryAfter);
                return true;

            case BadHttpRequestException bad:
                await Problems.WriteAsync(context, bad.StatusCode, Describe(bad));
                return true;

            case InvalidRequestException invalid:
                await Problems.WriteAsync(context, invalid.StatusCode, invalid.Message);
                return true;

            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                return true;

            default:
                logger.LogError(exception, "Unhandled failure in {Method} {Path}", context.Request.Method, context.Request.Path);
                await Problems.WriteAsync(context, StatusCodes.Status500InternalServerError, "An unexpected error occurred; it has been logged.");
                return true;
        }
    }

    private static string Describe(BadHttpRequestException bad) => bad.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
        StatusCodes.Status415UnsupportedMediaType => "Send the body as JSON with Content-Type: application/json.",
        _ when bad.InnerException is System.Text.Json.JsonException json => $"The body is not valid JSON of the expected shape: {json.Message}",
        _ => bad.Message,
    };
}

/// <summary>A request the handler rejects with a specific 4xx; the message is the problem title.</summary>
public sealed class InvalidRequestException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
