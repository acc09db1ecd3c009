using System.Globalization;

namespace FunctionsHost.Hosting;

/// <summary>
/// The app's host.json as the host reads it, with its values overridable by app settings named
/// <c>AzureFunctionsJobHost__path__to__value</c> (as in Azure): the route prefix, the function timeout, the
/// singleton lock periods the timers use, and the log levels.
/// </summary>
public sealed class HostJson
{
    public const string FileName = "host.json";

    /// <summary>The settings section whose values override host.json's (<c>AzureFunctionsJobHost__functionTimeout</c>, ...).</summary>
    public const string OverrideSection = "AzureFunctionsJobHost";

    /// <summary>Flex Consumption's default when host.json sets none.</summary>
    public static readonly TimeSpan DefaultFunctionTimeout = TimeSpan.FromMinutes(30);

    private HostJson(IConfiguration values)
    {
        Values = values;
        RoutePrefix = (values["extensions:http:routePrefix"] ?? "api").Trim('/');
        FunctionTimeout = values["functionTimeout"] switch
        {
            null => DefaultFunctionTimeout,
            "-1" => null,
            var text => TimeSpan.Parse(text, CultureInfo.InvariantCulture),
        };
        // The host's singleton options: the listener lock lease of a timer, and how often an instance without it
        // tries to take it (both 15 s to 60 s; 60 s by default).
        ListenerLockPeriod = Period(values["singleton:listenerLockPeriod"], "listenerLockPeriod", upper: TimeSpan.FromSeconds(60));
        ListenerLockRecoveryPollingInterval = Period(values["singleton:listenerLockRecoveryPollingInterval"], "listenerLockRecoveryPollingInterval", upper: TimeSpan.MaxValue);
    }

    /// <summary>Everything, for the logging section (<c>logging:logLevel</c>).</summary>
    public IConfiguration Values { get; }

    /// <summary><c>extensions.http.routePrefix</c>, "api" when absent; "" puts routes at the root.</summary>
    public string RoutePrefix { get; }

    /// <summary><c>functionTimeout</c>; null when it is -1 (no limit).</summary>
    public TimeSpan? FunctionTimeout { get; }

    public TimeSpan ListenerLockPeriod { get; }

    public TimeSpan ListenerLockRecoveryPollingInterval { get; }

    public static HostJson Load(string appDirectory, IConfiguration settings)
    {
        var path = Path.Combine(appDirectory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"No {FileName} in the app folder {appDirectory}: is it the app's build output?", path);
        var values = new ConfigurationBuilder()
            .AddJsonFile(path, optional: false)
            .AddConfiguration(settings.GetSection(OverrideSection))
            .Build();
        return new HostJson(values);
    }

    private static TimeSpan Period(string? text, string name, TimeSpan upper)
    {
        var value = text is null ? TimeSpan.FromSeconds(60) : TimeSpan.Parse(text, CultureInfo.InvariantCulture);
        if (value < TimeSpan.FromSeconds(15) || value > upper)
            throw new InvalidOperationException($"host.json singleton.{name} must be at least 00:00:15{(upper == TimeSpan.MaxValue ? "" : $" and at most {upper}")}; it is {value}.");
        return value;
    }
}
