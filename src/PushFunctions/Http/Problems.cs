using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace PushFunctions.Http;

/// <summary>RFC 9457 problem responses whose title says what to fix.</summary>
public static class Problems
{
    public static ProblemHttpResult BadRequest(string title) => Result(StatusCodes.Status400BadRequest, title);
    public static ProblemHttpResult Forbidden(string title) => Result(StatusCodes.Status403Forbidden, title);
    public static ProblemHttpResult NotFound(string title) => Result(StatusCodes.Status404NotFound, title);
    public static ProblemHttpResult TooLarge(string title) => Result(StatusCodes.Status413PayloadTooLarge, title);
    public static ProblemHttpResult Conflict(string title) => Result(StatusCodes.Status422UnprocessableEntity, title);

    public static ProblemHttpResult Result(int status, string title) =>
        TypedResults.Problem(new ProblemDetails { Status = status, Title = title });

    public static Task WriteAsync(HttpContext context, int status, string title, TimeSpan? retryAfter = null)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.StatusCode = status;
        if (retryAfter is { } delay) context.Response.Headers.RetryAfter = ((int)delay.TotalSeconds).ToString();
        return context.Response.WriteAsJsonAsync(
            new ProblemDetails { Status = status, Title = title },
            options: null,
            contentType: "application/problem+json");
    }
}
