using System.Diagnostics;
using FunctionsHost.Tests.Support;
using Microsoft.Extensions.Logging;
using SignalREmulator;

namespace PushFunctions.IntegrationTests.Support;

/// <summary>
/// The whole system, started once per test run: a real redis-server (or a Redis Cluster), the SignalR emulator in-process,
/// Azurite (the Functions host's storage), and PushFunctions behind the local Functions host (in this process, or its worker
/// process with <c>PUSH_TEST_HOST=worker</c>) on real loopback ports, the emulator's upstream pointing at the app.
/// </summary>
public sealed class PushSystem : IAsyncLifetime
{
    public const string Hub = "push";

    private static readonly HttpClient SharedHttp = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        MaxConnectionsPerServer = 256,
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>One redis-server, or a three-master Redis Cluster when <c>PUSH_TEST_REDIS=cluster</c>.</summary>
    public ITestRedis Redis { get; private set; } = null!;

    public EmulatorHost Emulator { get; private set; } = null!;

    /// <summary>The host's storage (AzureWebJobsStorage): where its timers keep their locks.</summary>
    public Azurite Storage { get; private set; } = null!;

    public PushAppHost App { get; private set; } = null!;

    public PushApi Api { get; private set; } = null!;

    public string EmulatorAccessKey { get; } = "emu-" + Guid.NewGuid().ToString("N");

    public HttpClient Http => SharedHttp;

    public async Task InitializeAsync()
    {
        try
        {
            Redis = await RedisCluster.StartRequestedAsync();
            Storage = await Azurite.StartOrSharedAsync();
            Emulator = await EmulatorHost.StartAsync(new EmulatorOptions
            {
                Port = 0,
                AccessKey = EmulatorAccessKey,
                ConfigureLogging = logging => logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.None),
            });
            var keys = PushKeys.Random();
            App = await PushAppHost.StartAsync(Redis.ConnectionString, Emulator.ConnectionString, keys, storage: Storage.ConnectionString);
            Emulator.UpstreamTemplate = App.Url + "/api/signalr/{hub}/{category}/{event}";
            Api = new PushApi(SharedHttp, App.Url, keys);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        // Each part is stopped even when another fails to stop; Redis last and always.
        try
        {
            if (App is not null) await App.DisposeAsync();
        }
        finally
        {
            try
            {
                if (Emulator is not null) await Emulator.DisposeAsync();
            }
            finally
            {
                if (Redis is not null) await Redis.DisposeAsync();
                if (Storage is not null) await Storage.DisposeAsync();
            }
        }
    }

    /// <summary>A fresh id for this test's users and rooms.</summary>
    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>Connects as a browser would: negotiate at the app with the session token, then the emulator's WebSocket.</summary>
    public Task<PushConnection> ConnectAsync(Session session) => PushConnection.ConnectAsync(App.Url + "/api", session.Token, TimeSpan.FromSeconds(20));

    /// <summary>
    /// Waits until the app has made no REST call for a second: what earlier tests left in flight (an upstream event
    /// still being handled, a connection's groups asserted again) is over before a test counts REST calls of its own.
    /// </summary>
    public Task RestQuietAsync()
    {
        var quiet = TimeSpan.FromSeconds(1);
        var last = Emulator.Stats.RestCalls;
        var since = Stopwatch.GetTimestamp();
        return Eventually.TrueAsync(() =>
        {
            var now = Emulator.Stats.RestCalls;
            if (now != last) (last, since) = (now, Stopwatch.GetTimestamp());
            return Task.FromResult(Stopwatch.GetElapsedTime(since) >= quiet);
        }, $"{quiet.TotalSeconds} s without a REST call from the app");
    }
}

[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<PushSystem>
{
    /// <summary>
    /// Every test class is in this one collection, so tests run one after another: the fault and outage tests
    /// break shared parts (the emulator's REST API) on purpose and must not disturb the others.
    /// </summary>
    public const string Name = "PushFunctions system";
}
