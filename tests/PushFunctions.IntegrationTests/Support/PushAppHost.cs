using System.Collections.Concurrent;
using FunctionsHost;
using FunctionsHost.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PushFunctions.Configuration;

namespace PushFunctions.IntegrationTests.Support;

/// <summary>The keys one app instance is configured with; tests use them to call it and to forge what it must refuse.</summary>
public sealed record PushKeys(string ServerKey, string SessionSigningKey)
{
    public static PushKeys Random() => new("srv-" + Guid.NewGuid().ToString("N"), "sign-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"));
}

/// <summary>
/// PushFunctions behind the local Functions host (tools/FunctionsHost) on a real loopback port, with its settings given
/// as app settings. By default the app runs in this process, behind the same HTTP front, keys and timers as its worker
/// process would be; with <c>PUSH_TEST_HOST=worker</c> (scripts/test.sh's third run) the host starts the app's build
/// output as its worker process, as scripts/dev.sh and Azure run it. Warnings and errors it logs (the worker's too) are
/// kept for failure messages.
/// </summary>
public sealed class PushAppHost : IAsyncDisposable
{
    /// <summary>A test class that reads the app's services or meter in this process: left out of the worker run (<c>Host!=in-process</c>).</summary>
    public const string InProcessTrait = "in-process";

    /// <summary>A test class that runs the app's stores and scripts against Redis with no host at all: nothing to run again through the worker.</summary>
    public const string NoHostTrait = "none";

    private readonly LocalFunctionsHost _host;

    private PushAppHost(LocalFunctionsHost host, CapturedLogs logs)
    {
        _host = host;
        Logs = logs;
    }

    /// <summary>True when the app runs in its worker process (<c>PUSH_TEST_HOST=worker</c>).</summary>
    public static bool WorkerProcess => string.Equals(Environment.GetEnvironmentVariable("PUSH_TEST_HOST"), "worker", StringComparison.OrdinalIgnoreCase);

    /// <summary>Base URL, e.g. <c>http://127.0.0.1:41234</c> (routes are under <c>/api</c>).</summary>
    public string Url => _host.Url;

    public CapturedLogs Logs { get; }

    /// <summary>The app's services (in this process only).</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>What the host recorded of every invocation.</summary>
    public FunctionsHost.Invocations.InvocationRunner Invocations => _host.Invocations;

    /// <param name="overrides">Settings by their names (<see cref="SettingNames"/>), over the defaults here.</param>
    /// <param name="time">The clock the app runs on (the wall clock when null); in this process only.</param>
    /// <param name="storage">The host's storage account (AzureWebJobsStorage): its timers run only with one.</param>
    public static async Task<PushAppHost> StartAsync(string redisConnectionString, string signalRConnectionString, PushKeys keys,
        IReadOnlyDictionary<string, string>? overrides = null, TimeProvider? time = null, string? storage = null)
    {
        var logs = new CapturedLogs();
        var settings = new Dictionary<string, string?>
        {
            [SettingNames.SignalRConnectionString] = signalRConnectionString,
            [SettingNames.RedisConnectionString] = redisConnectionString,
            [SettingNames.ServerKeys] = keys.ServerKey,
            [SettingNames.SessionSigningKeys] = keys.SessionSigningKey,
            // Rate limits are not what these tests are about: keep them out of the way.
            ["RateLimit__SessionPerSecond"] = "100000",
            ["RateLimit__ServerPerSecond"] = "100000",
            ["AzureWebJobsStorage"] = storage,
            // Its own timer locks: other app instances of the test run are other apps.
            ["AzureFunctionsWebHost__hostid"] = "it-" + Guid.NewGuid().ToString("N")[..12],
        };
        foreach (var (name, value) in overrides ?? new Dictionary<string, string>()) settings[name] = value;
        if (time is not null && WorkerProcess)
            throw new InvalidOperationException("A test's clock reaches the app in this process only: tag the test class with Host=" + InProcessTrait + ".");

        var host = await LocalFunctionsHost.StartAsync(new FunctionsHostOptions
        {
            AppDirectory = Repo.AppDirectory,
            Urls = "http://127.0.0.1:0",
            Settings = settings,
            ConfigureLogging = logging =>
            {
                logging.SetMinimumLevel(LogLevel.Warning);
                logging.AddProvider(logs);
            },
            InProcessApp = WorkerProcess ? null : (worker, configuration) =>
            {
                worker.AddPushFunctions(configuration);
                // Registered after the app's wall clock: the last registration is the one the app gets.
                if (time is not null) worker.Services.AddSingleton(time);
            },
        });
        return new PushAppHost(host, logs);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}

/// <summary>Log lines (Warning and above) an app wrote, newest last.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public string Tail(int count = 20) => string.Join(Environment.NewLine, _lines.TakeLast(count));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > 500 && _lines.TryDequeue(out _))
        {
        }
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            owner.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}");
        }
    }
}
