using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using PushFunctions.Configuration;
using PushFunctions.Security;

namespace PushFunctions.Http;

/// <summary>
/// Token buckets per session and per server key, so one flooding browser or backend cannot starve the others.
/// Over the limit: 429 with Retry-After. Upstream events and health checks are not limited: dropping the
/// service's connection events would make presence wrong.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddPushRateLimits(this IServiceCollection services, PushSettings settings) =>
        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context.User, settings));
            options.OnRejected = (rejected, _) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var delay) ? delay : TimeSpan.FromSeconds(1);
                return new ValueTask(Problems.WriteAsync(rejected.HttpContext, StatusCodes.Status429TooManyRequests,
                    "Too many requests from these credentials; slow down and retry after the Retry-After delay.",
                    retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter));
            };
        });

    private static RateLimitPartition<string> Partition(ClaimsPrincipal user, PushSettings settings)
    {
        if (user.IsInRole(Credentials.Session))
            return Bucket("session:" + user.FindFirstValue(Credentials.SessionIdClaim), settings.SessionRequestsPerSecond);
        if (user.IsInRole(Credentials.Server))
            return Bucket("server", settings.ServerRequestsPerSecond);
        return RateLimitPartition.GetNoLimiter("unlimited");
    }

    private static RateLimitPartition<string> Bucket(string key, int perSecond) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond * 2, // a burst of two seconds' worth
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}
