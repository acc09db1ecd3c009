using System.Text.Json;
using System.Text.Json.Serialization;
using PushFunctions.Configuration;
using PushFunctions.Redis;
using PushFunctions.SignalR;
using StackExchange.Redis;

namespace PushFunctions.Presence;

/// <summary>The old service's <c>update_online_count</c> payload; <c>user_list</c> is capped (the rest pages from /api/online).</summary>
public sealed record OnlineCountUpdate(
    [property: JsonPropertyName("online_count")] long OnlineCount,
    [property: JsonPropertyName("user_list")] IReadOnlyList<OnlineUser> UserList);

/// <summary>
/// Pushes <c>update_online_count</c> to everyone, coalesced across every app instance by a window held in Redis:
/// the first change pushes at once and opens the window; the first change during the window waits (inside its
/// own request) for the window's end and pushes the state of that moment; later ones need nothing. So a burst
/// of N logins costs about one push per interval, not N pushes of N names. A push whose waiter stopped, or whose
/// window is longer than a request should wait, is sent by the periodic check (<see cref="PeriodicCheck"/>).
/// Each push is one message to every connection, and SignalR Service bills each, so the window is as long as the
/// last push's audience divided by <see cref="PushSettings.OnlinePushBudgetPerSecond"/> (never shorter than
/// <see cref="PushSettings.OnlinePushInterval"/>): the pushes of all instances together deliver within the budget.
/// </summary>
public sealed class OnlineNotifier(
    PresenceStore presence, RedisConnection redis, ISignalRService signalR, PushSettings settings, TimeProvider time, ILogger<OnlineNotifier> logger)
{
    public const string Event = "update_online_count";
    public const int UserListCap = 100;

    /// <summary>
    /// The longest a change waits for its window inside its own request (an upstream event or an API call); a
    /// longer window's push is left to the periodic check.
    /// </summary>
    public static readonly TimeSpan MaxWaitInRequest = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a push may take (the page, then the REST call, which gives up within about 6.5 s): its window is held
    /// that long at most while it is sent, so that pushes never overlap and reach clients in the order they read.
    /// </summary>
    public static readonly TimeSpan PushHold = TimeSpan.FromSeconds(10);

    private PushWindow Window => new((long)settings.OnlinePushInterval.TotalMilliseconds, settings.OnlinePushBudgetPerSecond, (long)PushHold.TotalMilliseconds);

    /// <summary>
    /// Called after presence changed; returns once the change is pushed or another caller owns its push. Never
    /// throws: presence itself is already stored, and a missed push is only a stale list until the next one.
    /// </summary>
    public async Task NotifyChangedAsync()
    {
        try
        {
            var turn = await OnlinePushChangedScript.RunAsync(redis.Database, Window);
            if (turn.WindowStart is { } start) await PushCurrentStateAsync(start);
            else if (turn.WaitMs is { } waitMs) await WaitAndPushAsync(waitMs);
        }
        catch (Exception e) when (e is SignalRException or RedisException)
        {
            logger.LogWarning("Could not push {Event}: {Reason}", Event, e.Message);
        }
    }

    // A window held by the push in progress ends when that push reports, so look again at least every shortest interval;
    // the window can also grow while we wait (that push found a larger audience): wait again then.
    private async Task WaitAndPushAsync(long waitMs)
    {
        var waited = TimeSpan.Zero;
        while (true)
        {
            var wait = TimeSpan.FromMilliseconds(Math.Clamp(waitMs, 1, Window.MinIntervalMs));
            waited += wait;
            if (waited > MaxWaitInRequest) return;
            await Task.Delay(wait, time);
            var turn = await OnlinePushDueScript.RunAsync(redis.Database, Window);
            if (turn.WindowStart is { } start) await PushCurrentStateAsync(start);
            if (turn.WaitMs is not { } next) return;
            waitMs = next;
        }
    }

    /// <summary>Pushes when a change is waiting and no window is open.</summary>
    public async Task PushIfOverdueAsync()
    {
        if ((await OnlinePushDueScript.RunAsync(redis.Database, Window)).WindowStart is { } start)
            await PushCurrentStateAsync(start);
    }

    /// <summary>When a waiting change's push is due (now, or when the open window ends); null when no change waits. Reads only.</summary>
    public async Task<DateTimeOffset?> WaitingPushDueAsync()
    {
        var db = redis.Database;
        var pending = db.KeyExistsAsync(OnlinePushKeys.Pending);
        var windowLeft = db.KeyTimeToLiveAsync(OnlinePushKeys.Window);
        if (!await pending) return null;
        return time.GetUtcNow() + (await windowLeft ?? TimeSpan.Zero);
    }

    private async Task PushCurrentStateAsync(long windowStart)
    {
        // The audience (connections, not users: each gets the message) is counted beside the page, not after it.
        var page = await presence.PageAsync(UserListCap, after: null);
        var update = new OnlineCountUpdate(page.OnlineCount, page.Users);
        await signalR.SendToAllAsync(Event, JsonSerializer.SerializeToUtf8Bytes(update, JsonSerializerOptions.Web));
        await OnlinePushPushedScript.RunAsync(redis.Database, Window, page.ConnectionCount, windowStart);
    }
}
