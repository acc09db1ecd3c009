using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using PushFunctions.Http;
using PushFunctions.Redis;
using PushFunctions.SignalR;

namespace PushFunctions.Health;

/// <summary><c>GET /api/health</c>: anonymous, so it says only whether each dependency answers.</summary>
public sealed class HealthFunctions(RedisConnection redis, ISignalRService signalR)
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    [Function("health")]
    public async Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> Check(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request)
    {
        var redisUp = Probe(() => redis.Database.PingAsync());
        var signalRUp = Probe(() => signalR.PingAsync());
        var report = new HealthReport(
            await redisUp && await signalRUp ? "healthy" : "unhealthy",
            await redisUp ? "up" : "down",
            await signalRUp ? "up" : "down");
        if (report.Status == "healthy") return TypedResults.Ok(report);

        Problems.SetRetryAfter(request.HttpContext.Response, Problems.RetryAfter);
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
