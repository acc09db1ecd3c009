using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using FunctionsDevHost;
using PushFunctions.Configuration;

namespace PushFunctions.IntegrationTests.Support;

/// <summary>The keys one app instance is configured with; tests use them to call it and to forge what it must refuse.</summary>
public sealed record PushKeys(string ServerKey, string SessionSigningKey)
{
    public static PushKeys Random() => new("srv-" + Guid.NewGuid().ToString("N"), "sign-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"));
}

/// <summary>
/// PushFunctions in-process on a real loopback port, served by the development host (tools/FunctionsDevHost) exactly as scripts/dev.sh runs it,
/// with its settings injected through configuration. Warnings and errors it logs are kept for failure messages.
/// </summary>
public sealed class PushAppHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PushAppHost(WebApplication app, string url, CapturedLogs logs)
    {
        _app = app;
        Url = url;
        Logs = logs;
    }

    /// <summary>Base URL, e.g. <c>http://127.0.0.1:41234</c> (routes are under <c>/api</c>).</summary>
    public string Url { get; }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="overrides">Settings by their names (<see cref="SettingNames"/>), over the defaults here.</param>
    /// <param name="time">The clock the app runs on (the wall clock when null).</param>
    public static async Task<PushAppHost> StartAsync(string redisConnectionString, string signalRConnectionString, PushKeys keys,
        IReadOnlyDictionary<string, string>? overrides = null, TimeProvider? time = null)
    {
        var logs = new CapturedLogs();
        var settings = new Dictionary<string, string?>
        {
            [Name(SettingNames.SignalRConnectionString)] = signalRConnectionString,
            [Name(SettingNames.RedisConnectionString)] = redisConnectionString,
            [Name(SettingNames.ServerKeys)] = keys.ServerKey,
            [Name(SettingNames.SessionSigningKeys)] = keys.SessionSigningKey,
            // Rate limits (when the app has them) are not what these tests are about: keep them out of the way.
            ["RateLimit:SessionPerSecond"] = "100000",
            ["RateLimit:ServerPerSecond"] = "100000",
        };
        foreach (var (name, value) in overrides ?? new Dictionary<string, string>()) settings[Name(name)] = value;

        var app = DevHost.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddProvider(logs);
            // The app registers the wall clock after this callback: a clock of the test's replaces it when the services are built.
            if (time is not null) builder.Host.UseServiceProviderFactory(new WithClock(time));
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new PushAppHost(app, address.TrimEnd('/'), logs);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }
        await _app.DisposeAsync();
    }

    private static string Name(string setting) => setting.Replace("__", ":");

    private sealed class WithClock(TimeProvider time) : IServiceProviderFactory<IServiceCollection>
    {
        public IServiceCollection CreateBuilder(IServiceCollection services) => services.AddSingleton(time);

        public IServiceProvider CreateServiceProvider(IServiceCollection services) => services.BuildServiceProvider();
    }
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
