using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using SignalREmulator.Admin;
using SignalREmulator.Auth;
using SignalREmulator.Client;
using SignalREmulator.Groups;
using SignalREmulator.Rest;
using SignalREmulator.Upstream;

namespace SignalREmulator;

/// <summary>A running emulator: the SignalR Service client endpoint, REST API, upstream and test-only admin routes.</summary>
public sealed class EmulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly UpstreamSettings _upstream;

    private EmulatorHost(WebApplication app, EmulatorOptions options, int port)
    {
        _app = app;
        _upstream = app.Services.GetRequiredService<UpstreamSettings>();
        Faults = app.Services.GetRequiredService<Faults>();
        Stats = app.Services.GetRequiredService<Stats>();
        Port = port;
        // Bound to every interface, it is still reached locally through loopback.
        var host = options.Host is "0.0.0.0" or "::" or "[::]" ? "127.0.0.1" : options.Host;
        Url = $"http://{host}:{port}";
        // Named otherwise, the emulator is reached at its address as the ServerEndpoint and ClientEndpoint.
        ConnectionString = options.Endpoint is { } endpoint
            ? $"Endpoint={endpoint.TrimEnd('/')};ServerEndpoint={Url};ClientEndpoint={Url};AccessKey={options.AccessKey};Version=1.0;"
            : $"Endpoint=http://{host};Port={port};AccessKey={options.AccessKey};Version=1.0;";
        TenantId = options.TenantId;
    }

    /// <summary>Tenant of the test issuer (the Microsoft Entra stand-in).</summary>
    public string TenantId { get; }

    /// <summary>What the app's <c>IDENTITY_ENDPOINT</c> is set to (needs <see cref="EmulatorOptions.IdentityHeader"/>).</summary>
    public string IdentityEndpoint => Url + EntraApi.IdentityPath;

    /// <summary>The authority host where validators find the test issuer's keys (the app's <c>SignalRUpstreamAuthority</c>).</summary>
    public string AuthorityHost => Url + EntraApi.AuthorityPath;

    /// <summary>The connection string of the Azure auth mode: <c>AuthType=azure.msi</c>, no key.</summary>
    public string EntraConnectionString(string? clientId = null) =>
        ConnectionString[..ConnectionString.IndexOf("AccessKey=", StringComparison.Ordinal)]
        + "AuthType=azure.msi;" + (clientId is null ? "" : $"ClientId={clientId};") + "Version=1.0;";

    /// <summary>Base URL, e.g. <c>http://127.0.0.1:8888</c>.</summary>
    public string Url { get; }

    public int Port { get; }

    /// <summary>
    /// <c>Endpoint=http://127.0.0.1;Port=N;AccessKey=…;Version=1.0;</c>, or with <see cref="EmulatorOptions.Endpoint"/>
    /// <c>Endpoint=NAME;ServerEndpoint=URL;ClientEndpoint=URL;AccessKey=…;Version=1.0;</c>.
    /// </summary>
    public string ConnectionString { get; }

    /// <summary>The catch-all upstream URL template; settable after start because the app's port is often known only then.</summary>
    public string? UpstreamTemplate
    {
        get => _upstream.Template;
        set => _upstream.Template = value;
    }

    /// <summary>The ordered upstream rules (replaces <see cref="UpstreamTemplate"/> when set).</summary>
    public IReadOnlyList<UpstreamRule> UpstreamRules
    {
        get => _upstream.Rules;
        set => _upstream.Rules = value;
    }

    public Faults Faults { get; }

    /// <summary>The emulator's services, for tests that need its keys.</summary>
    internal IServiceProvider Services => _app.Services;

    public Stats Stats { get; }

    public static async Task<EmulatorHost> StartAsync(EmulatorOptions options, CancellationToken cancellationToken = default)
    {
        var app = Build(options);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EmulatorHost(app, options, new Uri(address).Port);
    }

    /// <summary>Completes when the process is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static WebApplication Build(EmulatorOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(EmulatorHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        // Configured by EmulatorOptions alone: hosted inside another app's tests, that app's appsettings.json and
        // environment settings (log levels above all) must not leak in. Kestrel binds only where Listen says.
        builder.Configuration.Sources.Clear();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(ParseAddress(options.Host), options.Port));
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));

        builder.Logging.ClearProviders();
        if (options.ConfigureLogging is { } configure)
        {
            configure(builder.Logging);
        }
        else
        {
            builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
            builder.Logging.SetMinimumLevel(options.Verbose ? LogLevel.Information : LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            // Its only warning here is "Overriding address(es)" when the host process sets ASPNETCORE_URLS: expected.
            builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Error);
            builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        }

        AddEmulatorServices(builder.Services, options);
        var app = builder.Build();

        // Browsers on any local origin may negotiate with the emulator, as with the official one.
        app.UseCors(cors => cors.SetIsOriginAllowed(_ => true).AllowAnyHeader().AllowAnyMethod().AllowCredentials());
        app.UseMiddleware<RestPipeline>();
        app.UseMiddleware<ClientAuthMiddleware>();
        app.MapConnectionHandler<ClientConnectionHandler>("/client", dispatcher =>
        {
            // Large enough for a whole 1 MB message in either direction; the handler enforces the limit.
            dispatcher.TransportMaxBufferSize = 2 * 1024 * 1024;
            dispatcher.ApplicationMaxBufferSize = 2 * 1024 * 1024;
        }).WithMetadata(new ClientEndpointMetadata());
        app.MapRestApi();
        app.MapAdminApi();
        app.MapEntraApi();
        return app;
    }

    private static void AddEmulatorServices(IServiceCollection services, EmulatorOptions options)
    {
        IReadOnlyList<UpstreamRule> rules = string.IsNullOrEmpty(options.UpstreamTemplate)
            ? options.UpstreamRules
            : [new UpstreamRule(options.UpstreamTemplate), .. options.UpstreamRules];

        services.AddCors();
        services.AddConnections();
        services.AddSingleton(options);
        services.AddSingleton(options.Clock);
        services.AddSingleton(new AccessKeys(options.AccessKey, options.SecondaryAccessKeys));
        services.AddSingleton<TemporaryAccessKeys>();
        services.AddSingleton(sp => new TestIssuer(options.TenantId, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<TokenValidator>();
        services.AddSingleton<ServiceEndpoint>();
        services.AddSingleton(new UpstreamSettings(rules));
        services.AddSingleton<Faults>();
        services.AddSingleton<Stats>();
        services.AddSingleton<MembershipFile>();
        services.AddSingleton<HubRegistry>();
        services.AddSingleton<HubFrames>();
        services.AddSingleton<UpstreamDispatcher>();
        services.AddSingleton<RestHandlers>();
        services.AddSingleton<ClientConnectionHandler>();
        services.AddHostedService<KeepAliveService>();
    }

    private static IPAddress ParseAddress(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : IPAddress.Parse(host.Trim('[', ']'));
}
