using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace FunctionsHost.Tests.Support;

/// <summary>
/// The local Functions host running the app's real worker process (its Release build output, unmodified) with settings
/// it accepts but dependencies that refuse every connection (Redis and SignalR Service on port 1): what the host does
/// needs no Redis, and the app answers what needs it with a 503. Everything logged is kept.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    public const string ServerKey = "host-test-server-key-0123456789";
    public const string AllowedOrigin = "http://127.0.0.1:5173";

    private TestHost(LocalFunctionsHost host, LogLines logs)
    {
        Host = host;
        Logs = logs;
        Http = new HttpClient { BaseAddress = new Uri(host.Url), Timeout = TimeSpan.FromSeconds(60) };
    }

    public LocalFunctionsHost Host { get; }

    public LogLines Logs { get; }

    public HttpClient Http { get; }

    /// <summary>The settings the app accepts; <paramref name="overrides"/> replace or add (a null value removes one).</summary>
    public static Dictionary<string, string?> Settings(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureSignalRConnectionString"] = "Endpoint=http://127.0.0.1;Port=1;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;",
            ["RedisConnectionString"] = "127.0.0.1:1,abortConnect=false,connectTimeout=1000",
            ["PushServerKeys"] = ServerKey,
            ["SessionSigningKeys"] = "host-test-signing-key-0123456789-0123456789",
            [FunctionsHost.Hosting.AppSettings.CorsAllowedOriginsSetting] = AllowedOrigin,
            ["AzureFunctionsWebHost__hostid"] = "ht-" + Guid.NewGuid().ToString("N")[..12],
        };
        foreach (var (name, value) in overrides ?? new Dictionary<string, string?>()) settings[name] = value;
        return settings;
    }

    public static async Task<TestHost> StartAsync(IReadOnlyDictionary<string, string?>? overrides = null, bool inProcess = false, TimeProvider? time = null)
    {
        var logs = new LogLines();
        var host = await LocalFunctionsHost.StartAsync(new FunctionsHostOptions
        {
            AppDirectory = Repo.AppDirectory,
            Urls = "http://127.0.0.1:0",
            Settings = Settings(overrides),
            ConfigureLogging = logging => logging.AddProvider(logs),
            InProcessApp = inProcess ? (worker, configuration) => PushFunctions.PushApp.AddPushFunctions(worker, configuration) : null,
            Time = time ?? TimeProvider.System,
        });
        return new TestHost(host, logs);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }

    /// <summary>POSTs <paramref name="json"/> with the server key, as the main backend calls.</summary>
    public async Task<HttpResponseMessage> PostAsServerAsync(string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("x-functions-key", ServerKey);
        return await Http.SendAsync(request);
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing with <paramref name="what"/> and the log's tail after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {timeout} waiting for {what}. Log:{Environment.NewLine}{Logs.Tail(30)}");
            await Task.Delay(100);
        }
    }
}

/// <summary>Every line a host logged (category, level, message), newest last.</summary>
public sealed class LogLines : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Text)> lines = new();

    public IReadOnlyList<(string Category, LogLevel Level, string Text)> All => [.. lines];

    public bool Any(string text) => lines.Any(l => l.Text.Contains(text, StringComparison.Ordinal));

    public string Tail(int count) => string.Join(Environment.NewLine, lines.TakeLast(count).Select(l => $"{l.Level} {l.Category}: {l.Text}"));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogLines owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.lines.Enqueue((category, logLevel, formatter(state, exception)));
    }
}

/// <summary>A TCP port that accepts connections and never answers: a dependency that hangs.</summary>
public sealed class SilentPort : IDisposable
{
    private readonly TcpListener listener = new(System.Net.IPAddress.Loopback, 0);
    private readonly List<TcpClient> accepted = [];
    private readonly CancellationTokenSource stop = new();

    public SilentPort()
    {
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var client = await listener.AcceptTcpClientAsync(stop.Token);
                    lock (accepted) accepted.Add(client);
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        });
    }

    public int Port => ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        lock (accepted) accepted.ForEach(c => c.Dispose());
    }
}
