using PushFunctions.Configuration;
using PushFunctions.IntegrationTests.Support;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// What ends with time: messages past their stream's retention age, and the 24 h idempotency window (API.md). The
/// app runs on a clock the test moves forward, on a Redis of its own (its timers see that clock too, and must not
/// act on the other tests' presence), sending to the shared SignalR Service.
/// </summary>
// Runs the app on a test clock, which reaches it in this process only: not in the run through the worker process.
[Trait("Host", PushAppHost.InProcessTrait)]
[Collection(SystemCollection.Name)]
public sealed class TimeWindowTests(PushSystem system) : IAsyncLifetime
{
    private readonly ShiftedClock clock = new();
    private ITestRedis redis = null!;

    public async Task InitializeAsync() => redis = await RedisCluster.StartRequestedAsync();

    public async Task DisposeAsync() => await redis.DisposeAsync();

    [Fact]
    public async Task Messages_older_than_their_streams_retention_age_are_dropped_and_a_cursor_before_them_is_told_so()
    {
        await using var app = await StartAsync(new() { [SettingNames.UserStreamMaxAgeHours] = "1" });
        var api = new PushApi(system.Http, app.Url, Keys);
        var userId = PushSystem.NewId("aged");
        var first = await api.SendToUserAsync(userId, "{\"n\":1}");
        await api.SendToUserAsync(userId, "{\"n\":2}");
        clock.Shift(TimeSpan.FromMinutes(40));
        var younger = await api.SendToUserAsync(userId, "{\"n\":3}");
        clock.Shift(TimeSpan.FromMinutes(25)); // the first two are 65 minutes old now, the third 25
        var newest = await api.SendToUserAsync(userId, "{\"n\":4}");

        var session = await api.LoginAsync(userId);
        var stream = "user:" + userId;
        var fromFirst = (await api.SyncAsync(session, $"{{\"{stream}\":{first.Seq}}}")).GetProperty("streams").GetProperty(stream);
        Assert.Equal([younger.Id, newest.Id], fromFirst.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.False(fromFirst.GetProperty("recovered").GetBoolean(), "the second message is gone: the cursor after the first cannot be recovered");

        var fromOldest = PushApi.Messages(await api.SyncAsync(session, $"{{\"{stream}\":0}}"), stream);
        Assert.Equal([younger.Id, newest.Id], fromOldest.Select(m => m.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task A_retry_within_24_hours_is_the_first_send_and_after_24_hours_the_same_key_sends_again()
    {
        await using var app = await StartAsync([]);
        var api = new PushApi(system.Http, app.Url, Keys);
        var userId = PushSystem.NewId("window");
        var key = "key-" + Guid.NewGuid().ToString("N");
        var first = await api.SendToUserAsync(userId, "{\"once\":true}", key);

        clock.Shift(IdempotencyWindow - TimeSpan.FromMinutes(1));
        Assert.Equal(first, await api.SendToUserAsync(userId, "{\"once\":true}", key));

        clock.Shift(TimeSpan.FromMinutes(2));
        var later = await api.SendToUserAsync(userId, "{\"once\":true}", key);
        Assert.NotEqual(first.Id, later.Id);
        Assert.Equal(first.Seq + 1, later.Seq);

        var session = await api.LoginAsync(userId);
        var stored = PushApi.Messages(await api.SyncAsync(session, $"{{\"user:{userId}\":0}}"), "user:" + userId);
        Assert.Equal([first.Id, later.Id], stored.Select(m => m.GetProperty("id").GetString()));
    }

    /// <summary>API.md: "a retried send with the same key within 24 h returns the first result".</summary>
    private static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);

    private static readonly PushKeys Keys = PushKeys.Random();

    private Task<PushAppHost> StartAsync(Dictionary<string, string> settings) =>
        PushAppHost.StartAsync(redis.ConnectionString, system.Emulator.ConnectionString, Keys, settings, clock);
}
