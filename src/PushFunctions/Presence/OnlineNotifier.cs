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
/// of N logins costs about one push per interval, not N pushes of N names. A push whose waiter stopped is sent
/// by <see cref="PresenceFunctions.RepairOnlinePush"/>.
/// </summary>
public sealed class OnlineNotifier(
    PresenceStore presence, RedisConnection redis, ISignalRService signalR, PushSettings settings, TimeProvider time, ILogger<OnlineNotifier> logger)
{
    public const string Event = "update_online_count";
    public const int UserListCap = 100;

    private static readonly RedisScript Script = RedisScript.Load<OnlineNotifier>("online_push.lua");
    private static readonly RedisKey[] Keys = ["pf:{presence}:push-window", "pf:{presence}:push-pending"];

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
        var answer = (RedisResult[])(await Script.RunAsync(redis.Database, Keys, ["changed", IntervalMs]))!;
        switch ((long)answer[0])
        {
            case 1:
                await PushCurrentStateAsync();
                break;
            case -1:
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, (long)answer[1])), time);
                await PushIfOverdueAsync();
                break;
        }
    }

    /// <summary>Pushes when a change is waiting and no window is open.</summary>
    public async Task PushIfOverdueAsync()
    {
        var answer = (RedisResult[])(await Script.RunAsync(redis.Database, Keys, ["due", IntervalMs]))!;
        if ((long)answer[0] == 1) await PushCurrentStateAsync();
    }

    private long IntervalMs => (long)settings.OnlinePushInterval.TotalMilliseconds;

    private async Task PushCurrentStateAsync()
    {
        var page = await presence.PageAsync(UserListCap, after: null);
        var update = new OnlineCountUpdate(page.OnlineCount, page.Users);
        await signalR.SendToAllAsync(Event, JsonSerializer.SerializeToUtf8Bytes(update, JsonSerializerOptions.Web));
    }
}
