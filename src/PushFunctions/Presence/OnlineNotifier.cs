using System.Text.Json;
using System.Text.Json.Serialization;
using PushFunctions.Configuration;
using PushFunctions.SignalR;

namespace PushFunctions.Presence;

/// <summary>The old service's <c>update_online_count</c> payload; <c>user_list</c> is capped (the rest pages from /api/online).</summary>
public sealed record OnlineCountUpdate(
    [property: JsonPropertyName("online_count")] long OnlineCount,
    [property: JsonPropertyName("user_list")] IReadOnlyList<OnlineUser> UserList);

/// <summary>
/// Pushes <c>update_online_count</c> to everyone, coalesced: the first change pushes at once, changes during the
/// following interval share one push that reads the state at that time. So a burst of N logins costs a bounded
/// number of pushes (about one per interval), not N pushes of N names.
/// </summary>
public sealed class OnlineNotifier(PresenceStore presence, ISignalRService signalR, PushSettings settings, TimeProvider time, ILogger<OnlineNotifier> logger)
{
    public const string Event = "update_online_count";
    public const int UserListCap = 100;

    private readonly SemaphoreSlim pushing = new(1, 1);
    private int scheduled;
    private long lastPushTicks;

    public void NotifyChanged()
    {
        if (Interlocked.Exchange(ref scheduled, 1) == 1) return; // the pending push will read the newest state
        _ = Task.Run(PushWhenDueAsync);
    }

    private async Task PushWhenDueAsync()
    {
        try
        {
            var due = new DateTimeOffset(Interlocked.Read(ref lastPushTicks), TimeSpan.Zero) + settings.OnlinePushInterval;
            var wait = due - time.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, time);
            Interlocked.Exchange(ref lastPushTicks, time.GetUtcNow().UtcTicks);
            Volatile.Write(ref scheduled, 0);
            await PushNowAsync();
        }
        catch (Exception e)
        {
            Volatile.Write(ref scheduled, 0);
            logger.LogWarning("Could not push {Event}: {Reason}", Event, e.Message);
        }
    }

    private async Task PushNowAsync()
    {
        // One push at a time, so an older state can never overtake a newer one on its way out.
        await pushing.WaitAsync();
        try
        {
            await PushCurrentStateAsync();
        }
        finally
        {
            pushing.Release();
        }
    }

    private async Task PushCurrentStateAsync()
    {
        var page = await presence.PageAsync(UserListCap, after: null);
        var update = new OnlineCountUpdate(page.OnlineCount, page.Users);
        await signalR.SendToAllAsync(Event, JsonSerializer.SerializeToUtf8Bytes(update, JsonSerializerOptions.Web));
    }
}
