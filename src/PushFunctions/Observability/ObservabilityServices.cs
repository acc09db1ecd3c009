using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PushFunctions.Configuration;
using PushFunctions.Redis;

namespace PushFunctions.Observability;

/// <summary>
/// OpenTelemetry through the worker's integration: each invocation is a trace, with the app's spans, every Redis
/// command (StackExchange.Redis instrumentation) and every SignalR REST call (HttpClient's own spans, status
/// included; query values are redacted by .NET and the Authorization header is never recorded). Exporters by
/// setting: Application Insights (Azure), OTLP (any collector), the console (scripts/dev.sh).
/// </summary>
public static class ObservabilityServices
{
    /// <summary>HttpClient's spans and metrics (.NET 9 and later record them without an instrumentation package).</summary>
    private const string HttpClientSource = "System.Net.Http";

    /// <summary>ASP.NET Core's per-request log category ("Request starting ...", "Request finished ...").</summary>
    private const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    private const string AspNetCore = "Microsoft.AspNetCore";

    public static IServiceCollection AddObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMetrics();
        services.AddSingleton<PushTelemetry>();
        // ASP.NET Core starts an Activity for every request whenever its per-request logger is enabled at any level
        // (for log scopes), and HttpClient then starts one more per REST call to carry that trace: about 1 KB and a
        // few µs per send (bench --stages). Those request logs are never shown (below Warning), so the logger is off;
        // with a trace exporter the activities still start, because the exporter listens.
        // ASP.NET Core's other per-request lines (the endpoint executing and executed) say what the host's own
        // Executing/Executed lines say; in the worker each is a log message sent to the host over gRPC, on every request.
        services.AddLogging(logging => logging
            .AddFilter(HostingDiagnostics, LogLevel.None)
            .AddFilter(AspNetCore, LogLevel.Warning));

        // Which exporters to add is decided here, while services are registered; the values are validated at start.
        var exporters = Settings.Read<ExporterOptions>(configuration);
        var azureMonitor = exporters.AppInsightsConnectionString is not null;
        var otlp = exporters.OtlpEndpoint is not null;
        var telemetry = services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithMetrics(metrics => metrics.AddMeter(PushTelemetry.MeterName, HttpClientSource));

        // Spans cost on every call (each Redis command is profiled and becomes an activity, measured in the
        // benchmark): they are recorded only when an exporter takes them.
        if (azureMonitor || otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(PushTelemetry.MeterName, HttpClientSource)
                .AddRedisInstrumentation()
                .ConfigureRedisInstrumentation((sp, redis) => redis.AddConnection(sp.GetRequiredService<RedisConnection>().Multiplexer)));
        }
        if (azureMonitor)
        {
            telemetry.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = exporters.AppInsightsConnectionString;
                // Application Insights with local auth disabled takes only Entra tokens (infra/main.bicep).
                if (AppInsightsIdentity(exporters.AppInsightsAuthenticationString) is { } identity)
                    options.Credential = new ManagedIdentityCredential(identity);
            });
        }
        if (otlp) telemetry.UseOtlpExporter();
        if (Settings.Read<ObservabilityOptions>(configuration).ConsoleMetricsSeconds is var seconds and > 0)
        {
            telemetry.WithMetrics(metrics => metrics.AddConsoleExporter((_, reader) =>
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = seconds * 1000));
        }
        return services;
    }

    /// <summary>
    /// The managed identity named by <c>ClientId=…;Authorization=AAD</c> (the form the Functions host reads too); without
    /// a ClientId, the system-assigned one; null when the string does not ask for Entra.
    /// </summary>
    internal static ManagedIdentityId? AppInsightsIdentity(string? authenticationString)
    {
        if (string.IsNullOrEmpty(authenticationString)
            || !authenticationString.Contains("Authorization=AAD", StringComparison.OrdinalIgnoreCase)) return null;
        foreach (var part in authenticationString.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("ClientId=", StringComparison.OrdinalIgnoreCase))
                return ManagedIdentityId.FromUserAssignedClientId(part["ClientId=".Length..]);
        }
        return ManagedIdentityId.SystemAssigned;
    }
}
