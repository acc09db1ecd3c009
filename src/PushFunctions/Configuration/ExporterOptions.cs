namespace PushFunctions.Configuration;

/// <summary>Where the app's metrics and traces are exported, by the exporters' own standard setting names.</summary>
[SettingsSection]
public sealed class ExporterOptions
{
    /// <summary>Application Insights (infra/main.bicep sets it in Azure); unset, no Azure Monitor export.</summary>
    [ConfigurationKeyName(SettingNames.AppInsightsConnectionString)]
    public string? AppInsightsConnectionString { get; set; }

    /// <summary><c>ClientId=&lt;managed identity&gt;;Authorization=AAD</c>: export with Microsoft Entra, no key (infra/main.bicep sets it).</summary>
    [ConfigurationKeyName(SettingNames.AppInsightsAuthenticationString)]
    public string? AppInsightsAuthenticationString { get; set; }

    /// <summary>An OpenTelemetry collector (OTLP) to export to.</summary>
    [ConfigurationKeyName(SettingNames.OtlpEndpoint)]
    public string? OtlpEndpoint { get; set; }
}
