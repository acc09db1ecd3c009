using Microsoft.Extensions.Logging.Abstractions;
using PushFunctions.IntegrationTests.Support;
using PushFunctions.Presence;
using PushFunctions.Redis;
using StackExchange.Redis;

namespace PushFunctions.IntegrationTests;

/// <summary>The app's Redis connection and scripts against a real redis-server of their own.</summary>
public sealed class RedisConnectionTests
{
    private static RedisConnection Connect(RedisServer redis) =>
        new(redis.ConnectionString, NullLogger.Instance, entraTokens: null, TimeProvider.System);

    [Fact]
    public async Task Redis_down_at_start_fails_commands_at_once_and_they_work_when_Redis_comes_up()
    {
        await using var redis = await RedisServer.StartAsync();
        await redis.StopAsync();

        using var connection = Connect(redis); // starts without Redis
        await Assert.ThrowsAnyAsync<RedisConnectionException>(() => connection.Database.StringSetAsync("k", "v"));

        await redis.StartAsync();
        await Eventually.TrueAsync(async () => await connection.Database.StringSetAsync("k", "v"), "a write once Redis is up");
        Assert.Equal("v", (string?)await connection.Database.StringGetAsync("k"));
    }

    [Fact]
    public async Task A_script_Redis_forgot_is_sent_again()
    {
        await using var redis = await RedisServer.StartAsync();
        using var connection = Connect(redis);
        var db = connection.Database;
        var keys = Keys("u1");

        Assert.True((await ConnectScript.RunAsync(db, keys, "c1", "s1", "u1", "Ann", 1000)).MadeUserOnline);
        await db.ExecuteAsync("SCRIPT", "FLUSH"); // as after a restart without persistence
        Assert.True(await DisconnectScript.RunAsync(db, keys, "c1", "u1"));
        Assert.True((await ConnectScript.RunAsync(db, keys, "c2", "s1", "u1", "Ann", 1000)).MadeUserOnline);
    }

    [Fact]
    public async Task Presence_scripts_report_the_first_connection_and_the_last_disconnection_only()
    {
        await using var redis = await RedisServer.StartAsync();
        using var connection = Connect(redis);
        var db = connection.Database;
        var keys = Keys("u1");

        Assert.Equal(new Connected(MadeUserOnline: true, IsNewConnection: true), await ConnectScript.RunAsync(db, keys, "c1", "s1", "u1", "Ann", 1000));
        Assert.Equal(new Connected(MadeUserOnline: false, IsNewConnection: true), await ConnectScript.RunAsync(db, keys, "c2", "s2", "u1", "Ann", 2000));
        // The same connection confirming itself after its connected event: nothing new, its lease renewed.
        Assert.Equal(new Connected(MadeUserOnline: false, IsNewConnection: false), await ConnectScript.RunAsync(db, keys, "c2", "s2", "u1", "Ann", 3000));
        Assert.Equal(3000, await db.SortedSetScoreAsync(keys.Leases, "u1|c2"));
        Assert.Equal("Ann", (string?)await db.HashGetAsync(keys.Names, "u1"));
        Assert.Equal(["u1|c1", "u1|c2"], (await db.SortedSetRangeByRankAsync(keys.Leases)).Select(v => (string)v!));

        Assert.False(await DisconnectScript.RunAsync(db, keys, "c1", "u1"));
        Assert.False(await DisconnectScript.RunAsync(db, keys, "unknown", "u1"));
        Assert.True(await DisconnectScript.RunAsync(db, keys, "c2", "u1"));
        Assert.False(await DisconnectScript.RunAsync(db, keys, "c2", "u1")); // a repeated disconnected event changes nothing

        Assert.Equal(0, await db.SortedSetLengthAsync(keys.Online));
        Assert.False(await db.HashExistsAsync(keys.Names, "u1"));
        Assert.Equal(0, await db.SortedSetLengthAsync(keys.Leases));
    }

    private static PresenceKeys Keys(string userId) =>
        new($"t:{{presence}}:conns:{userId}", "t:{presence}:online", "t:{presence}:names", "t:{presence}:leases");
}
