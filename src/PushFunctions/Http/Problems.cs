using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace PushFunctions.Http;

/// <summary>RFC 9457 problem responses whose title says what to fix.</summary>
public static class Problems
{
    /// <summary>How long a client waits before it retries a 503 (a dependency that is down).</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    public static ProblemHttpResult BadRequest(string title) => Result(StatusCodes.Status400BadRequest, title);
    public static ProblemHttpResult Forbidden(string title) => Result(StatusCodes.Status403Forbidden, title);
    public static ProblemHttpResult NotFound(string title) => Result(StatusCodes.Status404NotFound, title);
    public static ProblemHttpResult TooLarge(string title) => Result(StatusCodes.Status413PayloadTooLarge, title);
    public static ProblemHttpResult Unprocessable(string title) => Result(StatusCodes.Status422UnprocessableEntity, title);

    /// <summary>429, with <paramref name="retryAfter"/> set on the response the result is written to.</summary>
    public static ProblemHttpResult TooManyRequests(HttpResponse response, string title, TimeSpan retryAfter)
    {
        SetRetryAfter(response, retryAfter);
        return Result(StatusCodes.Status429TooManyRequests, title);
    }

    /// <summary>Retry-After in whole seconds, rounded up.</summary>
    public static void SetRetryAfter(HttpResponse response, TimeSpan delay) =>
        response.Headers.RetryAfter = ((int)Math.Ceiling(delay.TotalSeconds)).ToString();

    /// <summary>400 naming the id and the rule when <paramref name="value"/> is not a valid user or room id; null when it is.</summary>
    public static ProblemHttpResult? InvalidId(string name, string? value) =>
        Ids.IsValid(value) ? null : BadRequest($"The {name} must be {Ids.Rule}.");

    public static ProblemHttpResult Result(int status, string title) =>
        TypedResults.Problem(new ProblemDetails { Status = status, Title = title });

    /// <summary>Writes a problem straight to the response: for refusals made before any function runs.</summary>
    public static Task WriteAsync(HttpContext context, int status, string title, TimeSpan? retryAfter = null)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        if (retryAfter is { } delay) SetRetryAfter(context.Response, delay);
        return Result(status, title).ExecuteAsync(context);
    }
}
