using PushFunctions.Observability;
using PushFunctions.SignalR;

namespace PushFunctions.Presence;

/// <summary>
/// Keeps presence true when a <c>disconnected</c> event is lost (an instance or the service crashed): each
/// connection holds a lease; when it runs out, SignalR Service is asked whether the connection still exists, and
/// the lease is renewed or the connection dropped. A lost disconnect is therefore noticed within
/// lease + one tick of the periodic check (<see cref="PeriodicCheck.Schedule"/>). The cost is one existence
/// check per connection per lease period. A check goes on batch after batch until no lease is left expired or
/// <see cref="TimePerCheck"/> is spent: one batch per check would renew at most 40 leases a second, fewer than
/// expire once a few thousand connections are live, and lost disconnects would be found later and later.
/// </summary>
public sealed class LeaseReconciler(
    PresenceStore store, ConnectionOwners owners, PresenceService presence, ISignalRService signalR, PushTelemetry telemetry, TimeProvider time, ILogger<LeaseReconciler> logger)
{
    private const int BatchSize = 200;

    /// <summary>Less than the check interval, so that two checks do not overlap on one instance.</summary>
    public static readonly TimeSpan TimePerCheck = PeriodicCheck.Interval * 0.8;

    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            // Each lease of a batch leaves the expired ones (renewed, or dropped with its connection).
            var expired = await store.ExpiredLeasesAsync(BatchSize);
            await CheckAsync(expired, cancellationToken);
            if (expired.Count < BatchSize || time.GetElapsedTime(started) > TimePerCheck) return;
        }
    }

    private Task CheckAsync(IReadOnlyList<ExpiredLease> expired, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(expired, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (lease, token) =>
        {
            if (await signalR.ConnectionExistsAsync(lease.ConnectionId, token))
            {
                await Task.WhenAll(store.RenewLeaseAsync(lease), owners.RenewAsync(lease.ConnectionId));
                return;
            }
            telemetry.LostDisconnectFound();
            logger.LogInformation("Connection of user {UserId} is gone without a disconnected event; marking it offline", lease.UserId);
            await presence.DisconnectedAsync(lease.UserId, lease.ConnectionId);
        });
}
