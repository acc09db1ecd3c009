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
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, settings));
            options.OnRejected = (rejected, _) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var delay) ? delay : TimeSpan.FromSeconds(1);
                return new ValueTask(Problems.WriteAsync(rejected.HttpContext, StatusCodes.Status429TooManyRequests,
                    "Too many requests from these credentials; slow down and retry after the Retry-After delay.",
                    retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter));
            };
        });

    /// <summary>
    /// Runs before authentication on the I/O-free checks, so a refused request costs no Redis lookup. Only a valid
    /// server key or a correctly signed session token gets a bucket: a forged token cannot drain someone else's,
    /// and it is refused by authentication (no I/O either) anyway.
    /// </summary>
    private static RateLimitPartition<string> Partition(HttpContext context, PushSettings settings)
    {
        var checks = context.RequestServices.GetRequiredService<CredentialChecks>();
        if (CredentialChecks.ServerKeyOf(context.Request) is { } key)
            return checks.IsServerKey(key) ? Bucket("server", settings.ServerRequestsPerSecond) : Unlimited;
        if (CredentialChecks.BearerTokenOf(context.Request) is { } token && checks.SessionIdOf(token) is { } sessionId)
            return Bucket("session:" + sessionId, settings.SessionRequestsPerSecond);
        return Unlimited;
    }

    private static readonly RateLimitPartition<string> Unlimited = RateLimitPartition.GetNoLimiter("unlimited");

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
