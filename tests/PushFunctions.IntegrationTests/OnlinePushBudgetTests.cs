using Microsoft.Extensions.Options;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using PushFunctions.Configuration;
using PushFunctions.Presence;
using PushFunctions.Redis;
using PushFunctions.IntegrationTests.Support;
using PushFunctions.SignalR;
using Xunit.Abstractions;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// update_online_count pushes stay within Presence__OnlinePushBudgetPerSecond delivered messages
/// per second, whatever the churn, with two app instances (two notifiers, two multiplexers) sharing one Redis (or
/// the cluster). Real Redis and the real script; the audience is N connections recorded through the presence
/// store, and SignalR Service is a counter of what would be delivered (a push reaches every connection).
/// </summary>
[Trait("Host", PushAppHost.NoHostTrait)]
public sealed class OnlinePushBudgetTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int BudgetPerSecond = 2000;
    private const int MinIntervalMs = 50;
    private static readonly TimeSpan Churn = TimeSpan.FromSeconds(3);

    private ITestRedis _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisCluster.StartRequestedAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Theory]
    [InlineData(100)]
    [InlineData(1000)]
    public async Task Pushes_under_constant_churn_deliver_within_the_budget_across_two_instances(int connections)
    {
        var settings = Settings();
        using var first = new RedisConnection(StoreSettings.Redis(_redis), NullLogger<RedisConnection>.Instance, TimeProvider.System);
        using var second = new RedisConnection(StoreSettings.Redis(_redis), NullLogger<RedisConnection>.Instance, TimeProvider.System);
        var store = new PresenceStore(first, settings, TimeProvider.System);
        await Parallel.ForEachAsync(Enumerable.Range(0, connections), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, _) => await store.ConnectAsync($"u{i:D5}", $"User {i}", $"c{i:D5}", $"s{i:D5}"));
        var signalR = new PresenceSignalR();
        OnlineNotifier[] instances =
        [
            Notifier(first, settings, signalR),
            Notifier(second, settings, signalR),
        ];

        // Every instance reports a presence change every 5 ms for the whole churn: far more changes than pushes.
        var clock = Stopwatch.StartNew();
        var changes = 0;
        var calls = new List<Task>();
        while (clock.Elapsed < Churn)
        {
            foreach (var instance in instances) calls.Add(instance.NotifyChangedAsync());
            changes += instances.Length;
            await Task.Delay(5);
        }
        await Task.WhenAll(calls); // the last waiter pushes the final state
        var seconds = clock.Elapsed.TotalSeconds;

        var intervalMs = Math.Max(MinIntervalMs, connections * 1000.0 / BudgetPerSecond);
        var delivered = signalR.Pushes * (long)connections;
        output.WriteLine($"N = {connections}: {changes} changes in {seconds:F2} s → {signalR.Pushes} pushes, {delivered} messages delivered " +
                         $"({delivered / seconds:F0}/s; budget {BudgetPerSecond}/s, interval {intervalMs:F0} ms)");
        Assert.True(signalR.Pushes >= 2, $"the first change pushes at once and the last one's waiter pushes again: {signalR.Pushes}");
        // One push per interval, plus the first one (its window opens before the audience is known) and the last waiter's.
        var bound = seconds * 1000 / intervalMs + 2;
        Assert.True(signalR.Pushes <= bound, $"{signalR.Pushes} pushes in {seconds:F2} s exceed {bound:F1} (interval {intervalMs:F0} ms)");
        Assert.All(signalR.OnlineCounts, online => Assert.Equal(connections, online));
    }

    private IOptions<PresenceOptions> Settings() => StoreSettings.For(_redis, new Dictionary<string, string>
    {
        [SettingNames.OnlinePushIntervalMs] = MinIntervalMs.ToString(),
        [SettingNames.OnlinePushBudgetPerSecond] = BudgetPerSecond.ToString(),
    });

    private static OnlineNotifier Notifier(RedisConnection redis, IOptions<PresenceOptions> settings, ISignalRService signalR) =>
        new(new PresenceStore(redis, settings, TimeProvider.System), redis, signalR, settings, TimeProvider.System, NullLogger<OnlineNotifier>.Instance);
}
