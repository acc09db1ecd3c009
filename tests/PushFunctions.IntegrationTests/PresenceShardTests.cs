using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PushFunctions.Configuration;
using PushFunctions.Presence;
using PushFunctions.Redis;
using PushFunctions.IntegrationTests.Support;
using PushFunctions.SignalR;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// Presence is split into shards by user, so that on a cluster no single shard takes every connect, disconnect and
/// lease renewal; the online count, the online list's pages and the lease check still see all of it. Real Redis (or
/// the three-master cluster, PUSH_TEST_REDIS=cluster) and the real scripts; how the shards spread over a cluster's
/// masters is checked on a cluster of the test's own in both runs.
/// </summary>
public sealed class PresenceShardTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Users = 500;

    private ITestRedis _redis = null!;
    private PushSettings _settings = null!;
    private RedisConnection _connection = null!;
    private readonly ShiftedClock _clock = new();

    public async Task InitializeAsync()
    {
        _redis = await RedisCluster.StartRequestedAsync();
        _settings = StoreSettings.For(_redis);
        _connection = new RedisConnection(StoreSettings.Redis(_redis), NullLogger<RedisConnection>.Instance, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Online_list_pages_through_every_shard_in_user_id_order_with_the_counts_of_all()
    {
        var store = Store();
        var ids = await ConnectUsersAsync(store, connectionsPerUser: i => 1 + i % 3);
        var expected = ids.Order(StringComparer.Ordinal).ToList();
        var connections = Enumerable.Range(0, Users).Sum(i => 1 + i % 3);

        Assert.Equal(Users, await store.OnlineCountAsync());
        var seen = new List<string>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await store.PageAsync(64, after);
            pages++;
            Assert.Equal(Users, page.OnlineCount);
            Assert.Equal(connections, page.ConnectionCount);
            Assert.All(page.Users, u => Assert.Equal($"Name of {u.UserId}", u.UserName));
            seen.AddRange(page.Users.Select(u => u.UserId));
            after = page.Next;
        } while (after is not null);

        Assert.Equal(expected, seen); // every user once, in user-id order, across the shards
        Assert.Equal((Users + 63) / 64, pages);
        var last = await store.PageAsync(10, expected[^1]);
        Assert.Empty(last.Users);
        Assert.Null(last.Next);
    }

    [Fact]
    public async Task Online_list_pages_are_whole_when_one_shard_holds_most_of_a_page()
    {
        // A page's users are usually spread over the shards; here 150 of 170 live in shard 0, so shard 0 gives all
        // it is asked for at first and must be asked again before the page is known.
        var store = Store();
        var run = Guid.NewGuid().ToString("N")[..8];
        var candidates = Enumerable.Range(0, 100_000).Select(i => $"skew-{i:D6}-{run}");
        var ids = candidates.Where(id => PresenceShard.Of(id).Index == 0).Take(150)
            .Concat(candidates.Where(id => PresenceShard.Of(id).Index != 0).Take(20)).ToList();
        foreach (var id in ids) await store.ConnectAsync(id, $"Name of {id}", $"c-{id}", "s");

        var first = await store.PageAsync(100, after: null);
        var second = await store.PageAsync(100, first.Next);

        var expected = ids.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Take(100), first.Users.Select(u => u.UserId));
        Assert.Equal(expected[99], first.Next);
        Assert.Equal(expected.Skip(100), second.Users.Select(u => u.UserId));
        Assert.Null(second.Next);
        Assert.Equal(ids.Count, first.OnlineCount);
    }

    [Fact]
    public async Task Users_spread_over_every_shard_and_each_shard_lives_in_a_hash_slot_of_its_own()
    {
        var store = Store();
        var ids = await ConnectUsersAsync(store, connectionsPerUser: _ => 1);

        var perShard = await Task.WhenAll(PresenceShard.All.Select(s => _connection.Database.SortedSetLengthAsync(s.Online)));
        output.WriteLine($"{Users} users over {PresenceShard.Count} shards: {string.Join(", ", perShard)}");
        Assert.Equal(Users, perShard.Sum());
        Assert.All(perShard, count => Assert.InRange(count, 1, Users / 4)); // no shard empty, none with a quarter of everyone

        // One hash tag per shard for all its keys (so each script stays in one slot), a different one for every shard
        // (so a cluster can serve them from different masters: the test below).
        var tags = PresenceShard.All.Select(s => HashTag(s.Online)).ToList();
        Assert.All(PresenceShard.All, s => Assert.Equal(
            [tags[s.Index], tags[s.Index], tags[s.Index]], new[] { HashTag(s.Names), HashTag(s.Leases), HashTag(s.Connections(ids[0])) }));
        Assert.Equal(PresenceShard.Count, tags.Distinct().Count());
    }

    /// <summary>The part of a key Redis Cluster hashes: the first <c>{...}</c> with something inside.</summary>
    private static string HashTag(RedisKey key)
    {
        var text = key.ToString();
        var open = text.IndexOf('{');
        var close = open < 0 ? -1 : text.IndexOf('}', open + 1);
        Assert.True(close > open + 1, $"{text} has no hash tag");
        return text[(open + 1)..close];
    }

    [Fact]
    public async Task On_a_three_master_cluster_every_master_serves_shards_and_runs_a_share_of_the_presence_scripts()
    {
        await using var cluster = await RedisCluster.StartAsync(masters: 3);
        var settings = StoreSettings.For(cluster);
        using var connection = new RedisConnection(StoreSettings.Redis(cluster), NullLogger<RedisConnection>.Instance, TimeProvider.System);
        var store = new PresenceStore(connection, settings, _clock);
        // INFO is an admin command for StackExchange.Redis: a connection of the test's own reads the statistics.
        await using var admin = await ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString + ",allowAdmin=true");
        var masters = admin.GetServers().Where(s => !s.IsReplica).ToList();
        Assert.Equal(3, masters.Count);

        var scriptsBefore = await Task.WhenAll(masters.Select(ScriptCallsAsync));
        var ids = await ConnectUsersAsync(store, connectionsPerUser: _ => 1);
        await Parallel.ForEachAsync(Enumerable.Range(0, Users), async (i, _) => await store.DisconnectAsync(ids[i], ConnectionId(i, 0, ids[i])));
        await ConnectUsersAsync(store, connectionsPerUser: _ => 1);

        // Every connect and disconnect is one script: each master ran a share of them, none ran them all.
        var scripts = (await Task.WhenAll(masters.Select(ScriptCallsAsync))).Select((calls, i) => calls - scriptsBefore[i]).ToList();
        output.WriteLine($"{3 * Users} presence scripts ran on the masters: {string.Join(", ", scripts)}");
        Assert.True(scripts.Sum() >= 3 * Users, $"{scripts.Sum()} scripts counted for {3 * Users} presence changes");
        Assert.All(scripts, calls => Assert.True(calls >= 3 * Users / masters.Count / 2, $"a master ran {calls} of {scripts.Sum()} scripts"));

        Assert.Equal(PresenceShard.Count, PresenceShard.All.Select(s => admin.HashSlot(s.Online)).Distinct().Count());
        var serving = PresenceShard.All.Select(s => admin.GetServer(s.Online).EndPoint.ToString()).Distinct().Count();
        output.WriteLine($"presence shards served by {serving} of {masters.Count} masters");
        Assert.Equal(masters.Count, serving);
    }

    [Fact]
    public async Task Lease_check_goes_through_every_expired_lease_of_every_shard_in_one_run()
    {
        var store = Store();
        var ids = await ConnectUsersAsync(store, connectionsPerUser: _ => 1);
        _clock.Shift(_settings.PresenceLease + TimeSpan.FromSeconds(1));
        Assert.Equal(200, (await store.ExpiredLeasesAsync(200)).Count);

        // Every second user's connection is gone without a disconnected event; the rest still exist.
        var signalR = new PresenceSignalR(connectionId => int.Parse(connectionId.Split('-')[1]) % 2 == 1);
        await using var services = Services(signalR);
        await services.GetRequiredService<LeaseReconciler>().ReconcileAsync(CancellationToken.None);

        Assert.Equal(Users, signalR.Checked.Count); // more than two batches of 200, in one run
        Assert.Empty(await store.ExpiredLeasesAsync(Users));
        Assert.Equal(Users / 2, await store.OnlineCountAsync());
        for (var i = 0; i < Users; i++)
            Assert.Equal(i % 2 == 1, await store.IsOnlineAsync(ids[i]));
    }

    private PresenceStore Store() => new(_connection, _settings, _clock);

    /// <summary>Scripts a server has run (EVAL and EVALSHA), from INFO commandstats.</summary>
    private static async Task<long> ScriptCallsAsync(IServer server)
    {
        var stats = (await server.InfoAsync("commandstats")).SelectMany(g => g)
            .Where(e => e.Key is "cmdstat_eval" or "cmdstat_evalsha");
        return stats.Sum(e => long.Parse(e.Value.Split(',')[0]["calls=".Length..]));
    }

    private static string ConnectionId(int user, int connection, string userId) => $"c-{user}-{connection}-{userId[^8..]}";

    private async Task<string[]> ConnectUsersAsync(PresenceStore store, Func<int, int> connectionsPerUser)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, Users).Select(i => $"shard-{i:D4}-{run}").ToArray();
        await Parallel.ForEachAsync(Enumerable.Range(0, Users), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            for (var c = 0; c < connectionsPerUser(i); c++)
                await store.ConnectAsync(ids[i], $"Name of {ids[i]}", ConnectionId(i, c, ids[i]), $"s-{i}");
        });
        return ids;
    }

    private ServiceProvider Services(ISignalRService signalR) => AppServices.Build(_redis, _clock, signalR);
}
