using Microsoft.Extensions.DependencyInjection;
using PushFunctions.Configuration;
using PushFunctions.IntegrationTests.Support;
using PushFunctions.Presence;
using StackExchange.Redis;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// The app's one periodic check reads Redis only when something can be due, and then does what is due. Real Redis (or
/// the three-master cluster), the app's own services, a clock the test moves, SignalR Service stood in for by
/// <see cref="PresenceSignalR"/>. Redis's own command counts (INFO commandstats) say whether a tick touched it.
/// </summary>
public sealed class PeriodicCheckTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    private ITestRedis _redis = null!;
    private ConnectionMultiplexer _admin = null!;
    private readonly ShiftedClock _clock = new();
    private readonly HashSet<string> _gone = new(StringComparer.Ordinal);
    private PresenceSignalR _signalR = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisCluster.StartRequestedAsync();
        _admin = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString + ",allowAdmin=true");
        _signalR = new PresenceSignalR(connectionId => !_gone.Contains(connectionId));
        _services = AppServices.Build(_redis, _clock, _signalR, new Dictionary<string, string> { [SettingNames.PresenceLeaseSeconds] = "60" });
        await Presence.OnlineCountAsync(); // the app's connection is made (its handshake reads a key) before anything is counted
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _admin.Dispose();
        await _redis.DisposeAsync();
    }

    private PeriodicCheck Check => _services.GetRequiredService<PeriodicCheck>();
    private PresenceStore Presence => _services.GetRequiredService<PresenceStore>();

    /// <summary>Commands that read or write data, on every master (a client's pings and the like are not counted).</summary>
    private async Task<long> DataCommandsAsync()
    {
        string[] housekeeping = ["cmdstat_ping", "cmdstat_echo", "cmdstat_info", "cmdstat_cluster", "cmdstat_client", "cmdstat_config",
            "cmdstat_subscribe", "cmdstat_select", "cmdstat_hello", "cmdstat_command", "cmdstat_script"];
        // Redis 7 names subcommands "cmdstat_client|setname".
        long total = 0;
        foreach (var server in _admin.GetServers().Where(s => !s.IsReplica))
        {
            total += (await server.InfoAsync("commandstats")).SelectMany(g => g)
                .Where(e => !housekeeping.Contains(e.Key.Split('|')[0]))
                .Sum(e => long.Parse(e.Value.Split(',')[0]["calls=".Length..]));
        }
        return total;
    }

    private async Task<(bool Read, long Commands)> TickAsync()
    {
        var before = await DataCommandsAsync();
        var read = await Check.RunAsync(CancellationToken.None);
        return (read, await DataCommandsAsync() - before);
    }

    [Fact]
    public async Task With_nobody_connected_a_tick_touches_Redis_only_once_a_new_lease_could_have_expired()
    {
        // A reading tick: the first lease of each of the 16 shards, the push window (EXISTS, PTTL), the first restore.
        var first = await TickAsync();
        Assert.Equal((true, PresenceShard.Count + 3L), first);

        // Every tick until one lease (less the skew) after that read: nothing at all.
        for (var waited = PeriodicCheck.Interval; waited < Lease - PeriodicCheck.LeaseSkew; waited += PeriodicCheck.Interval)
        {
            _clock.Shift(PeriodicCheck.Interval);
            Assert.Equal((false, 0L), await TickAsync());
        }

        _clock.Shift(PeriodicCheck.Interval);
        Assert.True((await TickAsync()).Read);
        Assert.Equal(0, _signalR.Checked.Count + _signalR.Pushes);
    }

    [Fact]
    public async Task A_connection_whose_disconnected_event_was_lost_leaves_at_the_first_tick_after_its_lease()
    {
        Assert.True((await TickAsync()).Read); // nobody connected yet
        _clock.Shift(TimeSpan.FromSeconds(5));
        var user = "periodic-" + Guid.NewGuid().ToString("N")[..8];
        await Presence.ConnectAsync(user, "Per", "c-" + user, "s1"); // its lease runs out 65 s after that read
        _gone.Add("c-" + user);                                     // and its disconnected event never comes

        var elapsed = TimeSpan.FromSeconds(5);
        var reads = 0;
        while (await Presence.IsOnlineAsync(user))
        {
            _clock.Shift(PeriodicCheck.Interval);
            elapsed += PeriodicCheck.Interval;
            Assert.True(elapsed <= TimeSpan.FromSeconds(5) + Lease + PeriodicCheck.Interval, "still online a tick after its lease");
            if ((await TickAsync()).Read) reads++;
        }
        Assert.Equal(["c-" + user], _signalR.Checked);
        Assert.Equal(2, reads); // one lease after the first read (finds the lease), then at its expiry (checks it)
    }

    [Fact]
    public async Task A_push_left_waiting_is_sent_by_the_tick_after_its_window()
    {
        var db = _admin.GetDatabase();
        // A change waits for a window that ends in 300 ms, and the request that was to push it is gone.
        await db.StringSetAsync("pf:{online-push}:window", "1", TimeSpan.FromMilliseconds(300));
        await db.StringSetAsync("pf:{online-push}:pending", "1", TimeSpan.FromHours(1));

        Assert.True((await TickAsync()).Read);
        Assert.Equal(0, _signalR.Pushes);
        await Task.Delay(400);
        _clock.Shift(TimeSpan.FromMilliseconds(400)); // the tick remembered the window's end: it reads again now
        Assert.True((await TickAsync()).Read);
        Assert.Equal(1, _signalR.Pushes);
    }
}
