using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PushFunctions.Accounts;
using PushFunctions.Configuration;
using PushFunctions.Delivery;
using PushFunctions.Http;
using PushFunctions.Observability;
using PushFunctions.Presence;
using PushFunctions.Redis;
using PushFunctions.Rooms;
using PushFunctions.Security;
using PushFunctions.Sessions;
using PushFunctions.SignalR;

namespace PushFunctions;

/// <summary>
/// The app's services and the front door in front of its functions, in one place: Program (under the Functions
/// host) and the in-process path of the local Functions host (tools/FunctionsHost) both call <see cref="AddPushFunctions"/>.
/// </summary>
public static class PushApp
{
    /// <summary>
    /// The app's services and middleware, its settings bound from <paramref name="configuration"/> and validated when
    /// the host starts (a bad setting stops it with an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>
    /// that <see cref="InvalidSettingsException.From"/> reads).
    /// </summary>
    public static void AddPushFunctions(this IFunctionsWorkerApplicationBuilder worker, IConfiguration configuration)
    {
        worker.Services
            .AddPushSettings(configuration)
            .AddSingleton(TimeProvider.System)
            .AddFrontDoor()
            .AddSignalRService()
            .AddSingleton<RedisConnection>()
            .AddHostedService<CreatedAtStart<RedisConnection>>()
            .AddSessions()
            .AddDelivery()
            .AddPresence()
            .AddRooms()
            .AddSingleton<AccountService>()
            .AddObservability(configuration);
        worker.UseFrontDoor();
    }

    /// <summary>Every settings class, bound from <paramref name="configuration"/> and validated when the host starts.</summary>
    public static IServiceCollection AddPushSettings(this IServiceCollection services, IConfiguration configuration) => services
        .AddSettings<SignalROptions>(configuration)
        .AddSingleton<IValidateOptions<SignalROptions>, SignalRConnectionStringCheck>()
        .AddSettings<RedisOptions>(configuration)
        .AddSettings<KeyOptions>(configuration)
        .AddSettings<RetentionOptions>(configuration)
        .AddSettings<PresenceOptions>(configuration)
        .AddSettings<RateLimitOptions>(configuration)
        .AddSettings<LimitsOptions>(configuration)
        .AddSettings<ObservabilityOptions>(configuration)
        .AddSettings<ExporterOptions>(configuration);

    private static IServiceCollection AddFrontDoor(this IServiceCollection services)
    {
        // Responses (TypedResults) and the live pushes serialize the way request bodies are read.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonBody.Options.NumberHandling);
        return services
            .AddSingleton<FunctionCatalog>()
            .AddSingleton<CredentialChecks>()
            .AddSingleton<RateLimits>()
            .AddSingleton<Authenticator>();
    }

    private static IServiceCollection AddSignalRService(this IServiceCollection services) => services
        .AddSingleton(sp => SignalRConnectionString.Parse(sp.GetRequiredService<IOptions<SignalROptions>>().Value.AzureSignalRConnectionString))
        .AddSingleton(sp => new UpstreamKeys(
        [
            .. sp.GetRequiredService<SignalRConnectionString>().AccessKey is { } accessKey ? [accessKey] : Array.Empty<string>(),
            .. sp.GetRequiredService<IOptions<SignalROptions>>().Value.UpstreamKeys,
        ]))
        .AddSingleton<ISignalRTokenSource>(sp => SignalRTokenSources.Create(sp.GetRequiredService<SignalRConnectionString>(), sp.GetRequiredService<TimeProvider>()))
        .AddSingleton<ISignalRService, SignalRService>();

    /// <summary>
    /// Creates a singleton while the host starts. The Redis connection's constructor blocks while it connects;
    /// created lazily, a burst of first requests blocks the thread pool on it and starves the very callbacks it
    /// waits for (seen: 40 logins right after a restart hung for 30 s). Created in StartAsync, not in this class's
    /// constructor: the host makes its hosted services before it validates the settings, and a singleton made from
    /// bad settings would fail alone instead of with every other bad setting.
    /// </summary>
    private sealed class CreatedAtStart<T>(IServiceProvider services) : IHostedService where T : notnull
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<T>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static IServiceCollection AddSessions(this IServiceCollection services) => services
        .AddSingleton<SessionStore>()
        .AddSingleton<ISessionUsers>(sp => sp.GetRequiredService<SessionStore>())
        .AddSingleton<SessionTokens>()
        .AddSingleton<SessionRevoker>()
        .AddSingleton<LoginService>();

    private static IServiceCollection AddDelivery(this IServiceCollection services) => services
        .AddSingleton<StreamStore>()
        .AddSingleton<SyncCursors>()
        .AddSingleton<Publisher>()
        .AddSingleton<SyncGate>()
        .AddSingleton<SyncService>();

    private static IServiceCollection AddRooms(this IServiceCollection services) => services
        .AddSingleton<RoomStore>()
        .AddSingleton<IRoomMemberships>(sp => sp.GetRequiredService<RoomStore>())
        .AddSingleton<IRoomAudiences>(sp => sp.GetRequiredService<RoomStore>())
        .AddSingleton<GroupRestoreQueue>()
        .AddSingleton<RoomService>();

    private static IServiceCollection AddPresence(this IServiceCollection services) => services
        .AddSingleton<PresenceStore>()
        .AddSingleton<IOnlineStatus>(sp => sp.GetRequiredService<PresenceStore>())
        .AddSingleton<ConnectionOwners>()
        .AddSingleton<PresenceService>()
        .AddSingleton<ISessionConnections, SessionConnections>()
        .AddSingleton<OnlineNotifier>()
        .AddSingleton<OnlineUsersGauge>()
        // The gauge registers its instrument when created: create it at start, not at a first use that never comes.
        .AddHostedService<CreatedAtStart<OnlineUsersGauge>>()
        .AddSingleton<LeaseReconciler>()
        .AddSingleton<PeriodicCheck>();
}
