using Microsoft.Extensions.Options;
using System.Threading.RateLimiting;
using PushFunctions.Configuration;
using PushFunctions.Security;

namespace PushFunctions.Http;

/// <summary>
/// Token buckets per session and per server key, so one flooding browser or backend cannot starve the others.
/// Runs before authentication on the I/O-free checks, so a refused request costs no Redis lookup. Only a valid
/// server key or a correctly signed session token gets a bucket: a forged token cannot drain someone else's,
/// and it is refused by authentication (no I/O either) anyway. Upstream events and health checks are not
/// limited: dropping the service's connection events would make presence wrong. A user's sessions also share
/// one bucket, checked once authentication knows the user, so more sessions do not buy more requests.
/// </summary>
public sealed class RateLimits(IOptions<RateLimitOptions> options, CredentialChecks checks) : IDisposable
{
    public const string Refusal = "Too many requests from these credentials; slow down and retry after the Retry-After delay.";

    /// <summary>The shortest wait a refusal asks for (Retry-After counts whole seconds).</summary>
    public static readonly TimeSpan ShortestWait = TimeSpan.FromSeconds(1);
    private static readonly RateLimitPartition<string> Unlimited = RateLimitPartition.GetNoLimiter("unlimited");

    private readonly PartitionedRateLimiter<HttpRequest> limiter = Limiter(options.Value, checks);

    private readonly PartitionedRateLimiter<string> perUser =
        PartitionedRateLimiter.Create<string, string>(userId => Bucket("user:" + userId, options.Value.UserRate));

    /// <returns>Null when the request may go on; otherwise how long the caller should wait.</returns>
    public TimeSpan? TryAcquire(HttpRequest request) => Wait(limiter.AttemptAcquire(request));

    /// <summary>The user's own bucket, across all their sessions.</summary>
    public TimeSpan? TryAcquireForUser(string userId) => Wait(perUser.AttemptAcquire(userId));

    private static TimeSpan? Wait(RateLimitLease acquired)
    {
        using var lease = acquired;
        if (lease.IsAcquired) return null;
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var delay) ? delay : ShortestWait;
        return retryAfter < ShortestWait ? ShortestWait : retryAfter;
    }

    private static PartitionedRateLimiter<HttpRequest> Limiter(RateLimitOptions settings, CredentialChecks checks)
    {
        // The server key's partition is made once: the partition function runs for every request.
        var server = Bucket("server", settings.ServerPerSecond);
        return PartitionedRateLimiter.Create<HttpRequest, string>(request => Partition(request, server, settings, checks));
    }

    private static RateLimitPartition<string> Partition(HttpRequest request, RateLimitPartition<string> server, RateLimitOptions settings, CredentialChecks checks)
    {
        if (CredentialChecks.ServerKeyOf(request) is { } key)
            return checks.IsServerKey(key) ? server : Unlimited;
        if (CredentialChecks.BearerTokenOf(request) is { } token && checks.SessionIdOf(token) is { } sessionId)
            return Bucket("session:" + sessionId, settings.SessionPerSecond);
        return Unlimited;
    }

    private static RateLimitPartition<string> Bucket(string key, int perSecond) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond * RateLimitOptions.BurstSeconds,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    public void Dispose()
    {
        limiter.Dispose();
        perUser.Dispose();
    }
}
