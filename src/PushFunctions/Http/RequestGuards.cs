namespace PushFunctions.Http;

/// <summary>Checks every request gets before routing, so their refusals are problem+json like the rest.</summary>
public static class RequestGuards
{
    /// <summary>Largest request body read; a payload is checked against its own 64 KiB limit after parsing.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>Headers we refuse with problem+json; Kestrel's own hard limit sits above it and answers bare.</summary>
    public const int MaxHeaderBytes = 32 * 1024;
    public const int KestrelHeaderBytes = 64 * 1024;

    public static IApplicationBuilder UseRequestGuards(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        // Routes that read no body never look at its size, so refuse it here rather than act on the request.
        if (request.ContentLength > MaxBodyBytes)
        {
            await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"The request body is over {MaxBodyBytes} bytes.");
            return;
        }
        if (HeaderBytes(request.Headers) > MaxHeaderBytes)
        {
            await Problems.WriteAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, $"The request headers are over {MaxHeaderBytes} bytes.");
            return;
        }
        JsonByDefault(request);
        await next(context);
    });

    /// <summary>
    /// Every body here is JSON. One sent without a Content-Type, or with curl's default form type, is read as JSON
    /// rather than refused: no route takes forms, and invalid JSON still gets a 400 that says so.
    /// </summary>
    private static void JsonByDefault(HttpRequest request)
    {
        var type = request.ContentType;
        if (type is null || type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
            request.ContentType = "application/json";
    }

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
