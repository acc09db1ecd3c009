using System.Diagnostics.Metrics;
using PushFunctions.Observability;

namespace PushFunctions.Presence;

/// <summary>
/// <c>push.users.online</c>: the online count held in Redis. A gauge is read on the exporter's schedule and its
/// callback cannot wait, so it answers the last count read and starts a fresh read when that one is older than
/// <see cref="MaxAge"/>: Redis is asked at most once per <see cref="MaxAge"/>, however many readers collect.
/// </summary>
public sealed class OnlineUsersGauge
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly PresenceStore presence;
    private readonly TimeProvider time;
    private readonly ILogger<OnlineUsersGauge> logger;
    private readonly Lock gate = new();
    private long? count;
    private DateTimeOffset readAt = DateTimeOffset.MinValue;
    private bool reading;

    public OnlineUsersGauge(PushTelemetry telemetry, PresenceStore presence, TimeProvider time, ILogger<OnlineUsersGauge> logger)
    {
        this.presence = presence;
        this.time = time;
        this.logger = logger;
        telemetry.Meter.CreateObservableGauge("push.users.online", Observe, "{user}",
            "Users with at least one live connection (read from Redis at most every 5 s).");
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        lock (gate)
        {
            if (!reading && time.GetUtcNow() - readAt >= MaxAge)
            {
                reading = true;
                _ = ReadAsync();
            }
            return count is { } known ? [new Measurement<long>(known)] : [];
        }
    }

    /// <summary>Reads the count now; the gauge reports it from then on.</summary>
    public async Task ReadAsync()
    {
        try
        {
            var online = await presence.OnlineCountAsync();
            lock (gate) count = online;
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or ObjectDisposedException)
        {
            // Unknown rather than stale: the gauge shows a gap while Redis is down.
            logger.LogDebug("Online count not read: {Reason}", e.Message);
            lock (gate) count = null;
        }
        finally
        {
            lock (gate)
            {
                readAt = time.GetUtcNow();
                reading = false;
            }
        }
    }
}
