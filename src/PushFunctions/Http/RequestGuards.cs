namespace PushFunctions.Http;

/// <summary>Size and type checks every request gets before its credential is even looked at.</summary>
public static class RequestGuards
{
    /// <summary>Largest request body read; a payload is checked against its own 64 KiB limit after parsing.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>Headers we refuse with problem+json; the server's own hard limit sits above it and answers bare.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>The refusal for a request too large to act on, or null when it may go on.</summary>
    public static (int Status, string Title)? Refusal(HttpRequest request)
    {
        // Functions that read no body never look at its size, so refuse it here rather than act on the request.
        if (request.ContentLength > MaxBodyBytes)
            return (StatusCodes.Status413PayloadTooLarge, $"The request body is over {MaxBodyBytes} bytes.");
        if (HeaderBytes(request.Headers) > MaxHeaderBytes)
            return (StatusCodes.Status431RequestHeaderFieldsTooLarge, $"The request headers are over {MaxHeaderBytes} bytes.");
        return null;
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
