using PushFunctions.Observability;
using PushFunctions.SignalR;

namespace PushFunctions.Presence;

/// <summary>
/// Keeps presence true when a <c>disconnected</c> event is lost (an instance or the service crashed): each
/// connection holds a lease; when it runs out, SignalR Service is asked whether the connection still exists, and
/// the lease is renewed or the connection dropped. A lost disconnect is therefore noticed within
/// lease + one check interval (<see cref="PresenceFunctions.LeaseCheckSchedule"/>). The cost is one existence
/// check per connection per lease period.
/// </summary>
public sealed class LeaseReconciler(
    PresenceStore store, ConnectionOwners owners, PresenceService presence, ISignalRService signalR, PushTelemetry telemetry, ILogger<LeaseReconciler> logger)
{
    private const int BatchSize = 200;

    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var expired = await store.ExpiredLeasesAsync(BatchSize);
        await Parallel.ForEachAsync(expired, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (lease, token) =>
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
}
