using System.Text.Json.Serialization;
using PushFunctions.Accounts;
using PushFunctions.Configuration;
using PushFunctions.Delivery;
using PushFunctions.Health;
using PushFunctions.Http;
using PushFunctions.Presence;
using PushFunctions.Redis;
using PushFunctions.Rooms;
using PushFunctions.Security;
using PushFunctions.Sessions;
using PushFunctions.SignalR;

namespace PushFunctions;

/// <summary>The whole app; Program runs it, tests and benchmarks host it in-process on a real port.</summary>
public static class PushApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Configuration.AddLocalSettings(Directory.GetCurrentDirectory());
        configure?.Invoke(builder);
        // One line per entry: what Application Insights and `grep` both want.
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter(typeof(PushAuthenticationHandler).FullName, LogLevel.Warning); // a 401 is not news

        var settings = PushSettings.Load(builder.Configuration);
        if (builder.Configuration[SettingNames.CustomHandlerPort] is { Length: > 0 } port)
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = RequestGuards.MaxBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = RequestGuards.KestrelHeaderBytes;
        });

        builder.Services
            .AddSingleton(settings)
            .AddSingleton(TimeProvider.System)
            .AddHttp(settings)
            .AddSignalRService(settings)
            .AddSingleton<RedisConnection>()
            .AddSessions()
            .AddDelivery()
            .AddPresence()
            .AddRooms()
            .AddSingleton<AccountService>()
            .AddPushAuthentication(settings)
            .AddPushRateLimits(settings);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestGuards();
        app.UseRouting(); // after the guards: routing picks endpoints by Content-Type
        if (settings.CorsAllowedOrigins.Count > 0) app.UseCors();
        app.UseRateLimiter(); // before authentication: refusing a flood needs no Redis lookup
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapSessions();
        app.MapDelivery();
        app.MapRooms();
        app.MapAccounts();
        app.MapPresence();
        app.MapUpstream();
        app.MapHealth();
        return app;
    }

    private static IServiceCollection AddHttp(this IServiceCollection services, PushSettings settings)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.ExplainStatus);
        services.AddExceptionHandler<PushExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        // "5" is not a number: a cursor or ttl sent as a string is a client bug worth a 400.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        if (settings.CorsAllowedOrigins.Count > 0)
            services.AddCors(o => o.AddDefaultPolicy(p => p.WithOrigins([.. settings.CorsAllowedOrigins]).AllowAnyHeader().AllowAnyMethod()
                // @microsoft/signalr negotiates with credentials by default; allowed origins are explicit, so this is safe.
                .AllowCredentials()));
        return services;
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
            .AddSingleton<ISignalRTokenSource>(sp => SignalRTokenSources.Create(connection, sp.GetRequiredService<TimeProvider>()))
            .AddSingleton<ISignalRService, SignalRService>();
    }

    private static IServiceCollection AddSessions(this IServiceCollection services) => services
        .AddSingleton<SessionStore>()
        .AddSingleton<SessionTokens>()
        .AddSingleton<CredentialChecks>()
        .AddSingleton<SessionRevoker>();

    private static IServiceCollection AddDelivery(this IServiceCollection services) => services
        .AddSingleton<StreamStore>()
        .AddSingleton<SyncCursors>()
        .AddSingleton<Publisher>()
        .AddSingleton<SyncService>();

    private static IServiceCollection AddRooms(this IServiceCollection services) => services
        .AddSingleton<RoomStore>()
        .AddSingleton<RoomService>();

    private static IServiceCollection AddPresence(this IServiceCollection services) => services
        .AddSingleton<PresenceStore>()
        .AddSingleton<PresenceService>()
        .AddSingleton<OnlineNotifier>()
        .AddSingleton<LeaseReconciler>()
        .AddHostedService(sp => sp.GetRequiredService<LeaseReconciler>());
}
