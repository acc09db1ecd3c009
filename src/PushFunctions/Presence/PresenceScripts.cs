using StackExchange.Redis;
using PushFunctions.Redis;

namespace PushFunctions.Presence;

/// <summary>The presence keys of one user, in the order connect.lua and disconnect.lua name them.</summary>
internal sealed record PresenceKeys(RedisKey Connections, RedisKey Online, RedisKey Names, RedisKey Leases)
{
    public static PresenceKeys Of(string userId)
    {
        var shard = PresenceShard.Of(userId);
        return new(shard.Connections(userId), shard.Online, shard.Names, shard.Leases);
    }

    public RedisKey[] ToArray() => [Connections, Online, Names, Leases];
}

/// <summary>connect.lua: records a live connection and its lease.</summary>
internal static class ConnectScript
{
    private static readonly RedisScript Script = RedisScript.Load<PresenceStore>("connect.lua");

    public static async Task<Connected> RunAsync(IDatabaseAsync database, PresenceKeys keys,
        string connectionId, string sessionId, string userId, string userName, long leaseExpiryMs)
    {
        var reply = (RedisResult[])(await Script.RunAsync(database, keys.ToArray(), [connectionId, sessionId, userId, userName, leaseExpiryMs]))!;
        return new Connected(MadeUserOnline: (long)reply[0] == 1, IsNewConnection: (long)reply[1] == 1);
    }
}

/// <summary>disconnect.lua: forgets a connection and its lease.</summary>
internal static class DisconnectScript
{
    private static readonly RedisScript Script = RedisScript.Load<PresenceStore>("disconnect.lua");

    /// <returns>True when this was the user's last live connection.</returns>
    public static async Task<bool> RunAsync(IDatabaseAsync database, PresenceKeys keys, string connectionId, string userId) =>
        (long)await Script.RunAsync(database, keys.ToArray(), [connectionId, userId]) == 1;
}

/// <summary>One shard's part of an online page: its counts and its first online users after a user id.</summary>
internal sealed record ShardPage(long OnlineCount, long ConnectionCount, IReadOnlyList<OnlineUser> Users);

/// <summary>online_page.lua: one shard's counts and first online users, read at one moment.</summary>
internal static class OnlinePageScript
{
    private static readonly RedisScript Script = RedisScript.Load<PresenceStore>("online_page.lua");

    public static async Task<ShardPage> RunAsync(IDatabaseAsync database, PresenceShard shard, string? after, int limit)
    {
        var reply = (RedisResult[])(await Script.RunAsync(database, [shard.Online, shard.Names, shard.Leases], [after ?? "", limit]))!;
        var users = new OnlineUser[(reply.Length - 2) / 2];
        for (var i = 0; i < users.Length; i++) users[i] = new OnlineUser((string)reply[2 + 2 * i]!, (string)reply[3 + 2 * i]!);
        return new ShardPage((long)reply[0], (long)reply[1], users);
    }
}
