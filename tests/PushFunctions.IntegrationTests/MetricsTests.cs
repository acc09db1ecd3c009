using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using PushFunctions.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using PushFunctions.Observability;
using PushFunctions.Presence;
using SignalREmulator.Admin;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// The app's meter read in-process, as an exporter would read it: what an operator's graphs show moves when a
/// message is sent, a live push fails and a client syncs.
/// </summary>
// Reads the app's meter in this process: not in the run through the worker process.
[Trait("Host", PushAppHost.InProcessTrait)]
[Collection(SystemCollection.Name)]
public sealed class MetricsTests(PushSystem system) : IDisposable
{
    private readonly MeterReading meter = new();

    public void Dispose() => meter.Dispose();

    [Fact]
    public async Task A_send_counts_one_accepted_user_message_and_its_replay_counts_as_replayed()
    {
        var userId = PushSystem.NewId("metric");
        var key = Guid.NewGuid().ToString("N");

        await system.Api.SendToUserAsync(userId, "{\"n\":1}", key);
        Assert.Equal(1, meter.Total("push.messages.accepted", ("stream.kind", "user")));
        Assert.Equal(0, meter.Total("push.messages.replayed"));

        await system.Api.SendToUserAsync(userId, "{\"n\":1}", key);
        Assert.Equal(1, meter.Total("push.messages.accepted"));
        Assert.Equal(1, meter.Total("push.messages.replayed", ("stream.kind", "user")));
        Assert.Equal(0, meter.Total("push.live_pushes.failed"));
    }

    [Fact]
    public async Task A_failed_live_push_is_counted_with_its_reason_and_the_message_still_as_accepted()
    {
        var userId = PushSystem.NewId("metric");
        system.Emulator.Faults.Set(new FaultSettings { RestStatus = 503 });
        try
        {
            await system.Api.SendToUserAsync(userId, "{\"live\":false}");
        }
        finally
        {
            system.Emulator.Faults.Reset();
        }

        Assert.Equal(1, meter.Total("push.messages.accepted", ("stream.kind", "user")));
        Assert.Equal(1, meter.Total("push.live_pushes.failed", ("stream.kind", "user")));
        // 503 from the service, or the breaker already open from earlier failures: either is a reason, not a text.
        Assert.Contains(meter.TagValues("push.live_pushes.failed", "reason"), r => r is "503" or "circuit_open");
    }

    [Fact]
    public async Task A_sync_counts_one_call_a_page_per_readable_stream_and_the_messages_returned()
    {
        var userId = PushSystem.NewId("metric");
        await system.Api.SendToUserAsync(userId, "{\"n\":1}");
        await system.Api.SendToUserAsync(userId, "{\"n\":2}");
        var session = await system.Api.LoginAsync(userId);

        var sync = await system.Api.SyncAsync(session);

        var pages = sync.GetProperty("streams").EnumerateObject().Count();
        var returned = sync.GetProperty("streams").EnumerateObject().Sum(s => s.Value.GetProperty("messages").GetArrayLength());
        Assert.Equal(1, meter.Total("push.sync.calls"));
        Assert.Equal(pages, meter.Total("push.sync.pages"));
        Assert.True(returned >= 2, $"the sync returned {returned} messages");
        Assert.Equal(returned, meter.Total("push.sync.messages"));
        Assert.Equal(0, meter.Total("push.sync.unrecovered"));
    }

    [Fact]
    public async Task A_503_for_a_down_SignalR_Service_is_counted_as_dependency_unavailable()
    {
        var roomId = PushSystem.NewId("metric");
        var userId = PushSystem.NewId("metric");
        system.Emulator.Faults.Set(new FaultSettings { RestStatus = 503 });
        ApiResponse add;
        try
        {
            add = await system.Api.ServerAsync(HttpMethod.Put, $"/api/rooms/{roomId}/members/{userId}");
        }
        finally
        {
            system.Emulator.Faults.Reset();
        }

        ProblemAssert.Problem(add, 503, "adding a room member while SignalR Service fails");
        Assert.Equal(1, meter.Total("push.dependency.unavailable", ("dependency", PushTelemetry.Dependencies.SignalR)));
        Assert.Equal(0, meter.Total("push.dependency.unavailable", ("dependency", PushTelemetry.Dependencies.Redis)));
    }

    [Fact]
    public async Task Requests_without_credentials_are_counted_as_refused_by_credentials()
    {
        var response = await system.Api.CallAsync(HttpMethod.Post, "/api/sync", Credential.None, "{}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
        Assert.Equal(1, meter.Total("push.requests.refused", ("reason", PushTelemetry.Refusals.Credentials)));
    }

    [Fact]
    public async Task The_online_users_gauge_reports_the_online_count_read_from_Redis()
    {
        var userId = PushSystem.NewId("metric");
        var session = await system.Api.LoginAsync(userId);
        await using var client = await system.ConnectAsync(session);
        await Eventually.TrueAsync(async () => (await OnlineAsync()).Users.Contains(userId), "the connected user listed online");
        var gauge = system.App.Services.GetRequiredService<OnlineUsersGauge>();

        // The gauge reports the count of its last read; read it now, between two looks at the online list that agree
        // (other tests' connections may still be closing).
        long listed = -1;
        long? reported = null;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            listed = (await OnlineAsync()).Count;
            await gauge.ReadAsync();
            reported = meter.Observe("push.users.online");
            if ((await OnlineAsync()).Count == listed) break;
        }
        Assert.Equal((long?)listed, reported);
    }

    private async Task<(long Count, IReadOnlyList<string> Users)> OnlineAsync()
    {
        var json = (await system.Api.ServerAsync(HttpMethod.Get, "/api/online?limit=1000")).Json;
        return (json.GetProperty("onlineCount").GetInt64(), [.. json.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("userId").GetString()!)]);
    }

    /// <summary>Sums what the app's meter records from its creation on (so a test sees only its own requests).</summary>
    private sealed class MeterReading : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly ConcurrentQueue<(string Name, long Value, KeyValuePair<string, object?>[] Tags)> measurements = new();

        public MeterReading()
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == PushTelemetry.MeterName) l.EnableMeasurementEvents(instrument);
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, tags.ToArray())));
            listener.Start();
        }

        public long Total(string name, params (string Key, string Value)[] tags) =>
            measurements.Where(m => m.Name == name && tags.All(t => m.Tags.Any(k => k.Key == t.Key && Equals(k.Value, t.Value)))).Sum(m => m.Value);

        public IReadOnlyList<string?> TagValues(string name, string key) =>
            [.. measurements.Where(m => m.Name == name).SelectMany(m => m.Tags).Where(t => t.Key == key).Select(t => t.Value?.ToString())];

        /// <summary>Reads the observable instruments now; the last value of <paramref name="name"/>, or null.</summary>
        public long? Observe(string name)
        {
            var before = measurements.Count;
            listener.RecordObservableInstruments();
            var read = measurements.Skip(before).Where(m => m.Name == name).ToList();
            return read.Count > 0 ? read[^1].Value : null;
        }

        public void Dispose() => listener.Dispose();
    }
}
