using FunctionsHost.Functions;
using FunctionsHost.Hosting;
using FunctionsHost.Http;
using FunctionsHost.InProcess;
using FunctionsHost.Invocations;
using FunctionsHost.Timers;
using FunctionsHost.Worker;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Azure.Functions.Worker;
using PushFunctions.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace FunctionsHost;

/// <summary>What a <see cref="LocalFunctionsHost"/> runs and how.</summary>
public sealed class FunctionsHostOptions
{
    /// <summary>The app's build output: host.json, functions.metadata, worker.config.json and the worker assembly.</summary>
    public required string AppDirectory { get; init; }

    /// <summary>Where the host listens, e.g. http://127.0.0.1:7071 (port 0: a free one).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:7071";

    /// <summary>
    /// App settings over the environment and the app folder's local.settings.json (names with <c>__</c> or <c>:</c>).
    /// The worker gets them all as environment variables, as app settings are in Azure.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>The host's log providers (default: one line per entry on the console).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }

    /// <summary>
    /// Null: the app runs in its worker process, as in Azure. Set: the app runs in this process; this adds its services
    /// and worker middleware (what its Program does under the worker).
    /// </summary>
    public Action<IFunctionsWorkerApplicationBuilder, IConfiguration>? InProcessApp { get; init; }

    /// <summary>The timers' clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// A local Azure Functions host for the app (README.md in this folder): the worker process started and supervised as
/// the host does, or the app in this process; the same HTTP front either way; the timers as the host runs them.
/// </summary>
public sealed class LocalFunctionsHost : IAsyncDisposable
{
    private readonly List<Func<ValueTask>> stops = [];
    private int disposed;
    private readonly WebApplication front;
    private readonly WorkerSupervisor? workers;

    private LocalFunctionsHost(WebApplication front, string url, InvocationRunner runner, IReadOnlyList<FunctionEndpoint> routes,
        WorkerSupervisor? workers, TimerTriggers timers, ILoggerFactory loggers)
    {
        this.front = front;
        this.workers = workers;
        Url = url;
        Invocations = runner;
        Routes = routes;
        Timers = timers;
        Loggers = loggers;
    }

    /// <summary>The public base URL, e.g. http://127.0.0.1:7071 (routes under /api).</summary>
    public string Url { get; }

    /// <summary>The front's services; with the app in this process, the app's services too.</summary>
    public IServiceProvider Services => front.Services;

    /// <summary>Every invocation's outcome, counted per function.</summary>
    public InvocationRunner Invocations { get; }

    public IReadOnlyList<FunctionEndpoint> Routes { get; }

    public TimerTriggers Timers { get; }

    public ILoggerFactory Loggers { get; }

    /// <summary>The worker process now running (null in process, or while it restarts).</summary>
    public int? WorkerProcessId => workers?.Current?.Process.Id;

    /// <summary>Completes with an exit code when the host stops by itself (its worker kept exiting).</summary>
    public Task<int> Stopped => workers?.GaveUp ?? new TaskCompletionSource<int>().Task;

    /// <summary>
    /// Starts the host; throws <see cref="WorkerStartException"/> (saying why, with the worker's output) when the worker
    /// cannot start, for instance when the app refuses its settings.
    /// </summary>
    public static async Task<LocalFunctionsHost> StartAsync(FunctionsHostOptions options)
    {
        var appDirectory = Path.GetFullPath(options.AppDirectory);
        var configuration = new ConfigurationManager();
        configuration.AddEnvironmentVariables();
        configuration.AddLocalSettings(appDirectory);
        configuration.AddInMemoryCollection(options.Settings.Select(s => KeyValuePair.Create(s.Key.Replace("__", ":"), s.Value)));
        var settings = new AppSettings(configuration);
        var hostJson = HostJson.Load(appDirectory, configuration);
        var loggers = LoggerFactory.Create(logging =>
        {
            logging.AddConfiguration(hostJson.Values.GetSection("logging"));
            // The host's own machinery logs warnings and errors only; what the host reports about functions and the
            // worker (the Function.*, Host.* and worker categories) follows host.json's levels.
            foreach (var category in new[] { "Microsoft", "System", "Grpc", "Yarp", "Azure" }) logging.AddFilter(category, LogLevel.Warning);
            if (options.ConfigureLogging is { } configure) configure(logging);
            else logging.AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss.fff "; });
        });
        var logger = loggers.CreateLogger("Host.Startup");
        var cleanup = new List<Func<ValueTask>>();
        try
        {
            // Before anything else in this process binds a port 0 that could be the front's.
            var listeners = ListenerReservation.Reserve(options.Urls);
            cleanup.Add(() =>
            {
                listeners.Dispose();
                return ValueTask.CompletedTask;
            });
            RpcServer? rpc = null;
            WorkerSupervisor? workers = null;
            IReadOnlyList<FunctionInfo> functions;
            if (options.InProcessApp is null)
            {
                var channels = new WorkerChannels();
                rpc = await RpcServer.StartAsync(channels, loggers);
                cleanup.Add(rpc.DisposeAsync);
                workers = new WorkerSupervisor(appDirectory, () => rpc.Uri, WorkerEnvironment(configuration), channels, loggers);
                cleanup.Add(workers.DisposeAsync);
                await workers.StartAsync();
                functions = workers.Functions;
            }
            else
            {
                functions = FunctionInfo.ReadMetadataFile(Path.Combine(appDirectory, "functions.metadata"));
            }

            var builder = HttpFront.CreateBuilder(options.Urls, listeners, settings.CorsAllowedOrigins, loggers);
            InProcessWorkerBuilder? app = null;
            if (options.InProcessApp is { } configureApp)
            {
                builder.Configuration.AddConfiguration(configuration);
                app = new InProcessWorkerBuilder(builder.Services);
                configureApp(app, builder.Configuration);
            }
            var front = builder.Build();
            cleanup.Add(front.DisposeAsync);
            IFunctionInvoker invoker = app is null
                ? new WorkerInvoker(workers!, front.Services.GetRequiredService<IHttpForwarder>())
                : new InProcessInvoker(functions, appDirectory, app, front.Services, loggers.CreateLogger("Host.InProcess"));
            var runner = new InvocationRunner(invoker, hostJson.FunctionTimeout, loggers);
            var routes = FunctionRoutes.Of(functions, hostJson.RoutePrefix);
            HttpFront.MapFunctions(front, routes, new HostKeys(settings.HostKeys), runner, settings.CorsAllowedOrigins.Count > 0);
            logger.LogInformation("Initializing function HTTP routes");
            foreach (var route in routes) logger.LogInformation("{Route}", FunctionRoutes.Describe(route));
            await front.StartAsync();
            cleanup.Add(async () => await front.StopAsync());
            var url = front.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

            var timers = new TimerTriggers(functions, settings.Storage, settings.HostId(appDirectory), runner,
                hostJson.ListenerLockPeriod, hostJson.ListenerLockRecoveryPollingInterval, options.Time, loggers);
            var host = new LocalFunctionsHost(front, url, runner, routes, workers, timers, loggers);
            // Stopped in this order: timers (their invocations finish, their locks are given up), the front, the worker, gRPC.
            host.stops.Add(timers.DisposeAsync);
            host.stops.AddRange(Enumerable.Reverse(cleanup));
            host.stops.Add(() =>
            {
                runner.Dispose();
                (invoker as IDisposable)?.Dispose();
                return ValueTask.CompletedTask;
            });
            logger.LogInformation("Host started: {Count} functions ({Mode}), listening on {Url}.", functions.Count,
                workers is null ? "in this process" : $"worker process {workers.Current?.Process.Id}", url);
            return host;
        }
        catch
        {
            foreach (var stop in Enumerable.Reverse(cleanup)) await stop();
            loggers.Dispose();
            throw;
        }
    }

    /// <summary>The app settings as environment variables for the worker: everything this host sees, nested names with <c>__</c>.</summary>
    private static IReadOnlyDictionary<string, string?> WorkerEnvironment(IConfiguration configuration) =>
        configuration.AsEnumerable().Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value, StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        foreach (var stop in stops) await stop();
        Loggers.Dispose();
    }
}
