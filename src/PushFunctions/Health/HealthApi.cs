using Microsoft.AspNetCore.Http.HttpResults;
using PushFunctions.Http;
using PushFunctions.Redis;
using PushFunctions.SignalR;

namespace PushFunctions.Health;

public sealed record HealthReport(string Status, string Redis, string SignalR);

/// <summary><c>GET /api/health</c>: anonymous, so it says only whether each dependency answers.</summary>
public static class HealthApi
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/health", Check).AllowAnonymous();
        return app;
    }

    private static async Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> Check(
        RedisConnection redis, ISignalRService signalR, HttpResponse response)
    {
        var redisUp = Probe(() => redis.Database.PingAsync());
        var signalRUp = Probe(() => signalR.PingAsync());
        var report = new HealthReport(
            await redisUp && await signalRUp ? "healthy" : "unhealthy",
            await redisUp ? "up" : "down",
            await signalRUp ? "up" : "down");
        if (report.Status == "healthy") return TypedResults.Ok(report);

        response.Headers.RetryAfter = ((int)PushExceptionHandler.RetryAfter.TotalSeconds).ToString();
        return TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<bool> Probe(Func<Task> check)
    {
        try
        {
            await check().WaitAsync(CheckTimeout);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }
}
