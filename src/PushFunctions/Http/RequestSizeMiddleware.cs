using Microsoft.Azure.Functions.Worker;
using PushFunctions.Observability;

namespace PushFunctions.Http;

/// <summary>Refuses a request too large to act on (413, 431) before its credential is even looked at.</summary>
public sealed class RequestSizeMiddleware(PushTelemetry telemetry) : FrontDoorCheck(telemetry)
{
    /// <summary>Largest request body read; a payload is checked against its own 64 KiB limit after parsing.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>Headers we refuse with problem+json; the server's own hard limit sits above it and answers bare.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    protected override ValueTask<Refusal?> RefusalAsync(FunctionContext context, HttpContext http) =>
        // Functions that read no body never look at its size, so refuse it here rather than act on the request.
        ValueTask.FromResult(http.Request.ContentLength > MaxBodyBytes
            ? new Refusal(StatusCodes.Status413PayloadTooLarge, $"The request body is over {MaxBodyBytes} bytes.")
            : HeaderBytes(http.Request.Headers) > MaxHeaderBytes
                ? new Refusal(StatusCodes.Status431RequestHeaderFieldsTooLarge, $"The request headers are over {MaxHeaderBytes} bytes.")
                : null);

    private static long HeaderBytes(IHeaderDictionary headers)
    {
        long total = 0;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values) total += name.Length + (value?.Length ?? 0) + 4;
        }
        return total;
    }
}
