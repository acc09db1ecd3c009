using Microsoft.Extensions.Options;
using PushFunctions.Configuration;
using PushFunctions.Rooms;
using PushFunctions.SignalR;

namespace PushFunctions.Presence;

/// <summary>
/// The app's periodic work, in one timer function (Flex Consumption scales every timer function in a group of its
/// own: one function, one group). Each piece repairs what an event that never came would have done:
/// <list type="bullet">
/// <item>expired leases (<see cref="LeaseReconciler"/>): a <c>disconnected</c> event the service lost;</item>
/// <item>a waiting online push (<see cref="OnlineNotifier.PushIfOverdueAsync"/>): the request that was to push it
/// stopped, or its window was longer than a request waits;</item>
/// <item>due group restores (<see cref="RoomService.RetryDueRestoresAsync"/>): a membership call SignalR Service
/// failed.</item>
/// </list>
/// A tick reads Redis only when something can be due. It remembers, in memory, when that is: the first lease to
/// expire, the waiting push's window end, the first restore due, as its last read found them; and no later than
/// one lease after that read (less <see cref="LeaseSkew"/>), because a lease made since cannot expire sooner. Until
/// then a tick touches nothing (no Redis, no REST). A restore or a waiting push this instance left is read when it
/// is due; one another instance left after the read is seen at the next read: at the latest one lease later when
/// nobody's lease is due before. After work, the next tick reads again. A fresh instance reads at its first tick.
/// The figures are in docs/DESIGN.md ("Periodic work").
/// </summary>
public sealed class PeriodicCheck(
    PresenceStore presence, LeaseReconciler leases, OnlineNotifier notifier, GroupRestoreQueue restores, RoomService rooms,
    IOptions<PresenceOptions> settings, TimeProvider time, ILogger<PeriodicCheck> logger)
{
    /// <summary>Every 10 s: lost disconnects are noticed within lease + 10 s; 8,640 ticks a day.</summary>
    public const string Schedule = "*/10 * * * * *";

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How much sooner than one lease after a read a lease unseen by that read may expire: one written by another
    /// instance while the read ran, or by a clock a little behind this one.
    /// </summary>
    public static readonly TimeSpan LeaseSkew = TimeSpan.FromSeconds(5);

    // One tick at a time per instance (the host runs a timer function as a singleton, tools/FunctionsHost too).
    private DateTimeOffset nextRead = DateTimeOffset.MinValue;

    /// <returns>Whether this tick read Redis.</returns>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        // Work this instance left for the check is looked at when due, not at the next read. Taken before the read, so
        // what is left while it runs is kept for the next tick.
        foreach (var left in new[] { restores.QueuedHere.Take(), notifier.LeftWaiting.Take() })
            if (left < nextRead) nextRead = left.Value;
        if (time.GetUtcNow() < nextRead) return false;

        // One round trip: 16 ZRANGE (the first lease of each shard), EXISTS + PTTL (the push window), 1 ZRANGE (restores).
        var leaseTask = presence.EarliestLeaseExpiryAsync();
        var pushTask = notifier.WaitingPushDueAsync();
        var restoreTask = restores.EarliestDueAsync();
        var (lease, push, restore) = (await leaseTask, await pushTask, await restoreTask);
        var now = time.GetUtcNow(); // after the read: what it found due by then is due

        var due = new List<(string Part, Func<Task> Work)>();
        if (lease <= now) due.Add(("the lease check", () => leases.ReconcileAsync(cancellationToken)));
        if (push <= now) due.Add(("the waiting online push", notifier.PushIfOverdueAsync));
        if (restore <= now) due.Add(("the group restores", rooms.RetryDueRestoresAsync));
        foreach (var (part, work) in due) await PartAsync(part, work);
        // After work, what it left (renewed leases, retries it queued) is read at the next tick.
        nextRead = due.Count > 0 ? now : Earliest(now + settings.Value.Lease - LeaseSkew, lease, push, restore);
        return true;
    }

    /// <summary>One part failing (SignalR Service or Redis down) leaves the others to run; it is tried again at the next tick.</summary>
    private async Task PartAsync(string part, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (e is SignalRException or StackExchange.Redis.RedisException)
        {
            logger.LogWarning("The periodic check could not finish {Part}; it tries again at the next tick. {Problem}", part, e.Message);
        }
    }

    private static DateTimeOffset Earliest(DateTimeOffset bound, params DateTimeOffset?[] due) =>
        due.Aggregate(bound, (earliest, next) => next is { } at && at < earliest ? at : earliest);
}
