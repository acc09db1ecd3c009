using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PushFunctions.Delivery;

namespace PushFunctions.Http;

/// <summary>RFC 9457 problem responses whose title says what to fix.</summary>
public static class Problems
{
    public static ProblemHttpResult BadRequest(string title) => Result(StatusCodes.Status400BadRequest, title);
    public static ProblemHttpResult Forbidden(string title) => Result(StatusCodes.Status403Forbidden, title);
    public static ProblemHttpResult NotFound(string title) => Result(StatusCodes.Status404NotFound, title);
    public static ProblemHttpResult TooLarge(string title) => Result(StatusCodes.Status413PayloadTooLarge, title);
    public static ProblemHttpResult Conflict(string title) => Result(StatusCodes.Status422UnprocessableEntity, title);

    /// <summary>400 naming the id and the rule when <paramref name="value"/> is not a valid user or room id; null when it is.</summary>
    public static ProblemHttpResult? InvalidId(string name, string? value) =>
        Ids.IsValid(value) ? null : BadRequest($"The {name} must be {Ids.Rule}.");

    public static ProblemHttpResult Result(int status, string title) =>
        TypedResults.Problem(new ProblemDetails { Status = status, Title = title });

    /// <summary>Gives the framework's own 404/405/415 answers a title that says what to do.</summary>
    public static void ExplainStatus(ProblemDetailsContext context)
    {
        var details = context.ProblemDetails;
        details.Title = details.Status switch
        {
            StatusCodes.Status404NotFound when details.Title is null or "Not Found" => "No such route: the routes are under /api (see API.md).",
            StatusCodes.Status405MethodNotAllowed => $"{context.HttpContext.Request.Method} is not allowed on this route (see API.md).",
            StatusCodes.Status415UnsupportedMediaType => "Send the body as JSON (Content-Type: application/json).",
            _ => details.Title,
        };
    }

    public static Task WriteAsync(HttpContext context, int status, string title, TimeSpan? retryAfter = null)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.StatusCode = status;
        if (retryAfter is { } delay) context.Response.Headers.RetryAfter = ((int)delay.TotalSeconds).ToString();
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title },
        }).AsTask();
    }
}
