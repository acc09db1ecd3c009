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
/// window is longer than a request should wait, is sent by <see cref="PresenceFunctions.RepairOnlinePush"/>.
/// Each push is one message to every connection, and SignalR Service bills each, so the window is as long as the
/// last push's audience divided by <see cref="PushSettings.OnlinePushBudgetPerSecond"/> (never shorter than
/// <see cref="PushSettings.OnlinePushInterval"/>): the pushes of all instances together deliver within the budget.
/// </summary>
public sealed class OnlineNotifier(
    PresenceStore presence, RedisConnection redis, ISignalRService signalR, PushSettings settings, TimeProvider time, ILogger<OnlineNotifier> logger)
{
    public const string Event = "update_online_count";
    public const int UserListCap = 100;

    private static readonly RedisScript Script = RedisScript.Load<OnlineNotifier>("online_push.lua");
    // One window for the whole deployment, so under its own tag, apart from the presence shards: one small script
    // per change of a user's presence (not per connection), cheap beside the connect script that caused it.
    private static readonly RedisKey[] Keys = ["pf:{online-push}:window", "pf:{online-push}:pending", "pf:{online-push}:audience"];

    /// <summary>
    /// The longest a change waits for its window inside its own request (an upstream event or an API call); a
    /// longer window is left to the repair timer, which runs every 5 s.
    /// </summary>
    public static readonly TimeSpan MaxWaitInRequest = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Called after presence changed; returns once the change is pushed or another caller owns its push. Never
    /// throws: presence itself is already stored, and a missed push is only a stale list until the next one.
    /// </summary>
    public async Task NotifyChangedAsync()
    {
        try
        {
            await CoalesceAsync();
        }
        catch (Exception e) when (e is SignalRException or RedisException)
        {
            logger.LogWarning("Could not push {Event}: {Reason}", Event, e.Message);
        }
    }

    private async Task CoalesceAsync()
    {
        var answer = await RunAsync("changed");
        switch ((long)answer[0])
        {
            case 1:
                await PushCurrentStateAsync();
                break;
            case -1:
                await WaitAndPushAsync((long)answer[1]);
                break;
        }
    }

    // The window can grow while we wait (the push that opened it found a larger audience): wait again then.
    private async Task WaitAndPushAsync(long waitMs)
    {
        var waited = TimeSpan.Zero;
        while (true)
        {
            var wait = TimeSpan.FromMilliseconds(Math.Max(1, waitMs));
            waited += wait;
            if (waited > MaxWaitInRequest) return;
            await Task.Delay(wait, time);
            var answer = await RunAsync("due");
            if ((long)answer[0] == 1) await PushCurrentStateAsync();
            if ((long)answer[0] != -1) return;
            waitMs = (long)answer[1];
        }
    }

    /// <summary>Pushes when a change is waiting and no window is open.</summary>
    public async Task PushIfOverdueAsync()
    {
        if ((long)(await RunAsync("due"))[0] == 1) await PushCurrentStateAsync();
    }

    private async Task<RedisResult[]> RunAsync(string mode, long audience = 0) =>
        (RedisResult[])(await Script.RunAsync(redis.Database, Keys,
            [mode, (long)settings.OnlinePushInterval.TotalMilliseconds, settings.OnlinePushBudgetPerSecond, audience]))!;

    private async Task PushCurrentStateAsync()
    {
        // The audience (connections, not users: each gets the message) is counted beside the page, not after it.
        var page = await presence.PageAsync(UserListCap, after: null);
        var update = new OnlineCountUpdate(page.OnlineCount, page.Users);
        await signalR.SendToAllAsync(Event, JsonSerializer.SerializeToUtf8Bytes(update, JsonSerializerOptions.Web));
        await RunAsync("pushed", page.ConnectionCount);
    }
}
