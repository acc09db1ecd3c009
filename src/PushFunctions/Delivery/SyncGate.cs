using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using PushFunctions.Configuration;

namespace PushFunctions.Delivery;

/// <summary>
/// At most <see cref="InFlight"/> syncs of one session run at once on an instance; its others wait their turn,
/// oldest first, up to the session's rate-limit burst. Each answer may hold a mebibyte of payloads: a session firing
/// its whole burst at once would otherwise put all those pages on the instance's one Redis connection at the same
/// time, and every other user's sync would wait behind them.
/// </summary>
public sealed class SyncGate(IOptions<RateLimitOptions> rateLimits) : IDisposable
{
    public const int InFlight = 2;

    private readonly PartitionedRateLimiter<string> limiter = PartitionedRateLimiter.Create<string, string>(sessionId =>
        RateLimitPartition.GetConcurrencyLimiter(sessionId, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = InFlight,
            QueueLimit = rateLimits.Value.SessionBurst,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }));

    /// <summary>Waits for the session's turn; the lease is not acquired when too many of its syncs already wait.</summary>
    public ValueTask<RateLimitLease> EnterAsync(string sessionId, CancellationToken cancellation) =>
        limiter.AcquireAsync(sessionId, 1, cancellation);

    public void Dispose() => limiter.Dispose();
}
