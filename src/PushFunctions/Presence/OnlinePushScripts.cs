using StackExchange.Redis;
using PushFunctions.Redis;

namespace PushFunctions.Presence;

/// <summary>The online-push window's keys, one set for the deployment, under their own hash tag.</summary>
internal static class OnlinePushKeys
{
    public static readonly RedisKey Window = "pf:{online-push}:window";
    public static readonly RedisKey Pending = "pf:{online-push}:pending";
    public static readonly RedisKey Audience = "pf:{online-push}:audience";
}

/// <summary>
/// What a caller of the online-push window is to do: push now (the window it opened starts at <see cref="WindowStart"/>),
/// look again within <see cref="WaitMs"/>, or nothing.
/// </summary>
internal readonly record struct PushTurn(long? WindowStart, long? WaitMs)
{
    public static PushTurn From(RedisResult reply)
    {
        var values = (RedisResult[])reply!;
        return (long)values[0] switch
        {
            1 => new((long)values[1], null),
            -1 => new(null, (long)values[1]),
            _ => new(null, null),
        };
    }
}

/// <summary>The window's settings, as the scripts take them.</summary>
internal readonly record struct PushWindow(long MinIntervalMs, int BudgetPerSecond, long HoldMs);

/// <summary>online_push_changed.lua: presence changed; whose push covers it.</summary>
internal static class OnlinePushChangedScript
{
    private static readonly RedisScript Script = RedisScript.Load(typeof(OnlineNotifier), "online_push_functions.lua", "online_push_changed.lua");

    public static async Task<PushTurn> RunAsync(IDatabaseAsync database, PushWindow window) =>
        PushTurn.From(await Script.RunAsync(database, [OnlinePushKeys.Window, OnlinePushKeys.Pending, OnlinePushKeys.Audience],
            [window.MinIntervalMs, window.BudgetPerSecond, window.HoldMs]));
}

/// <summary>online_push_due.lua: whether a waiting change may be pushed now.</summary>
internal static class OnlinePushDueScript
{
    private static readonly RedisScript Script = RedisScript.Load(typeof(OnlineNotifier), "online_push_functions.lua", "online_push_due.lua");

    public static async Task<PushTurn> RunAsync(IDatabaseAsync database, PushWindow window) =>
        PushTurn.From(await Script.RunAsync(database, [OnlinePushKeys.Window, OnlinePushKeys.Pending, OnlinePushKeys.Audience],
            [window.MinIntervalMs, window.BudgetPerSecond, window.HoldMs]));
}

/// <summary>online_push_pushed.lua: a push reached this audience; its window runs the interval that calls for, from the push's start.</summary>
internal static class OnlinePushPushedScript
{
    private static readonly RedisScript Script = RedisScript.Load<OnlineNotifier>("online_push_pushed.lua");

    /// <returns>The interval, in ms, the audience calls for.</returns>
    public static async Task<long> RunAsync(IDatabaseAsync database, PushWindow window, long audience, long windowStart) =>
        (long)((RedisResult[])(await Script.RunAsync(database, [OnlinePushKeys.Window, OnlinePushKeys.Audience],
            [window.MinIntervalMs, window.BudgetPerSecond, audience, windowStart]))!)[0];
}
