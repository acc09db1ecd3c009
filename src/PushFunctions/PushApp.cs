using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Hosting;
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
    /// <summary>Reads and validates the settings (throws <see cref="InvalidSettingsException"/> naming what is wrong).</summary>
    public static PushSettings AddPushFunctions(this IFunctionsWorkerApplicationBuilder worker, IConfiguration configuration)
    {
        var settings = PushSettings.Load(configuration);
        worker.Services
            .AddSingleton(settings)
            .AddSingleton(TimeProvider.System)
            .AddFrontDoor(settings)
            .AddSignalRService(settings)
            .AddSingleton<RedisConnection>()
            .AddHostedService<CreatedAtStart<RedisConnection>>()
            .AddSessions()
            .AddDelivery()
            .AddPresence()
            .AddRooms()
            .AddSingleton<AccountService>()
            .AddObservability(configuration);
        worker.UseMiddleware<FrontDoorMiddleware>();
        return settings;
    }

    private static IServiceCollection AddFrontDoor(this IServiceCollection services, PushSettings settings)
    {
        // Responses (TypedResults) and the live pushes serialize the way request bodies are read.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonBody.Options.NumberHandling);
        // With local auth disabled the service signs upstream calls with an Entra token instead of X-ASRS-Signature.
        if (UpstreamBearerValidator.Create(settings, TimeProvider.System) is { } upstreamBearer) services.AddSingleton(upstreamBearer);
        return services
            .AddSingleton<FunctionCatalog>()
            .AddSingleton<CredentialChecks>()
            .AddSingleton<RateLimits>()
            .AddSingleton<Authenticator>();
    }

    private static IServiceCollection AddSignalRService(this IServiceCollection services, PushSettings settings)
    {
        SignalRConnectionString connection;
        try
        {
            connection = SignalRConnectionString.Parse(settings.SignalRConnectionString);
        }
        catch (FormatException e)
        {
            throw new InvalidSettingsException([$"Setting '{SettingNames.SignalRConnectionString}': {e.Message}"]);
        }

        return services
            .AddSingleton(connection)
            .AddSingleton(new UpstreamKeys([.. connection.AccessKey is null ? [] : new[] { connection.AccessKey }, .. settings.UpstreamKeys]))
            .AddSingleton<ISignalRTokenSource>(sp => SignalRTokenSources.Create(connection, sp.GetRequiredService<TimeProvider>()))
            .AddSingleton<ISignalRService, SignalRService>();
    }

    /// <summary>
    /// Creates a singleton while the host starts. The Redis connection's constructor blocks while it connects;
    /// created lazily, a burst of first requests blocks the thread pool on it and starves the very callbacks it
    /// waits for (seen: 40 logins right after a restart hung for 30 s).
    /// </summary>
    private sealed class CreatedAtStart<T>(T instance) : IHostedService where T : notnull
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(instance);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static IServiceCollection AddSessions(this IServiceCollection services) => services
        .AddSingleton<SessionStore>()
        .AddSingleton<ISessionUsers>(sp => sp.GetRequiredService<SessionStore>())
        .AddSingleton<SessionTokens>()
        .AddSingleton<SessionRevoker>();

    private static IServiceCollection AddDelivery(this IServiceCollection services) => services
        .AddSingleton<StreamStore>()
        .AddSingleton<SyncCursors>()
        .AddSingleton<Publisher>()
        .AddSingleton<SyncService>();

    private static IServiceCollection AddRooms(this IServiceCollection services) => services
        .AddSingleton<RoomStore>()
        .AddSingleton<IRoomMemberships>(sp => sp.GetRequiredService<RoomStore>())
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
        .AddSingleton<LeaseReconciler>();
}
