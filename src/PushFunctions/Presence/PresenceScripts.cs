using StackExchange.Redis;
using PushFunctions.Redis;

namespace PushFunctions.Presence;

/// <summary>The presence keys of one user, in the order connect.lua and disconnect.lua name them.</summary>
internal sealed record PresenceKeys(RedisKey Connections, RedisKey Online, RedisKey Names, RedisKey Leases)
{
    public RedisKey[] ToArray() => [Connections, Online, Names, Leases];
}

/// <summary>connect.lua: records a live connection and its lease.</summary>
internal static class ConnectScript
{
    private static readonly RedisScript Script = RedisScript.Load<PresenceStore>("connect.lua");

    /// <returns>True when this was the user's first live connection.</returns>
    public static async Task<bool> RunAsync(IDatabaseAsync database, PresenceKeys keys,
        string connectionId, string sessionId, string userId, string userName, long leaseExpiryMs) =>
        (long)await Script.RunAsync(database, keys.ToArray(), [connectionId, sessionId, userId, userName, leaseExpiryMs]) == 1;
}

/// <summary>disconnect.lua: forgets a connection and its lease.</summary>
internal static class DisconnectScript
{
    private static readonly RedisScript Script = RedisScript.Load<PresenceStore>("disconnect.lua");

    /// <returns>True when this was the user's last live connection.</returns>
    public static async Task<bool> RunAsync(IDatabaseAsync database, PresenceKeys keys, string connectionId, string userId) =>
        (long)await Script.RunAsync(database, keys.ToArray(), [connectionId, userId]) == 1;
}
