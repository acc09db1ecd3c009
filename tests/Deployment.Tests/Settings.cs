using System.Reflection;
using System.Text.RegularExpressions;
using PushFunctions;
using PushFunctions.Configuration;

namespace Deployment.Tests;

/// <summary>The app settings contract: README.md's settings table, and the app's settings classes.</summary>
public static partial class Settings
{
    public sealed record ContractSetting(string Name, bool Required, string Meaning);

    /// <summary>Rows of the settings table under "## Configuration" in README.md.</summary>
    public static IReadOnlyList<ContractSetting> FromContracts()
    {
        var text = RepoFiles.Read("README.md");
        var start = text.IndexOf("## Configuration", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '## Configuration' section");
        var next = text.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        var section = next < 0 ? text[start..] : text[start..next];

        return TableRow().Matches(section)
            .Select(m => new ContractSetting(
                m.Groups["name"].Value,
                m.Groups["default"].Value.Trim() == "required",
                m.Groups["meaning"].Value.Trim()))
            .ToList();
    }

    /// <summary>The settings the app reads: the properties of its settings classes (<see cref="SettingsSectionAttribute"/>).</summary>
    public static IReadOnlyList<string> FromApp() =>
    [
        .. typeof(PushApp).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<SettingsSectionAttribute>() is not null)
            .SelectMany(Setting.Of)
            .Select(s => s.Name),
    ];

    /// <summary>
    /// Settings the app reads that Azure deliberately does not set, with why. A new setting in a settings class
    /// that is neither set by infra/main.bicep nor listed here fails Bicep_sets_every_setting_the_app_defines.
    /// </summary>
    public static IReadOnlyDictionary<string, string> NotSetInAzure { get; } = new Dictionary<string, string>
    {
        ["FUNCTIONS_WORKER_RUNTIME"] = "func start only: Flex rejects it, functionAppConfig.runtime (dotnet-isolated) replaces it",
        ["AzureWebJobsStorage"] = "func start only (Azurite): Azure sets AzureWebJobsStorage__accountName/__credential/__clientId instead",
        ["SignalRUpstreamAuthority"] = "Azure uses the default, Microsoft Entra ID's public cloud; only the Entra-mode tests point it at the emulator",
        ["SignalRUpstreamKeys"] = "SignalR Service runs with disableLocalAuth: no access keys, so no X-ASRS-Signature keys",
        ["Retention__UserMaxLength"] = "tuning, default in RetentionOptions",
        ["Retention__UserMaxAgeHours"] = "tuning, default in RetentionOptions",
        ["Retention__BroadcastMaxLength"] = "tuning, default in RetentionOptions",
        ["Retention__BroadcastMaxAgeHours"] = "tuning, default in RetentionOptions",
        ["Retention__RoomMaxLength"] = "tuning, default in RetentionOptions",
        ["Retention__RoomMaxAgeHours"] = "tuning, default in RetentionOptions",
        ["RateLimit__SessionPerSecond"] = "tuning, default in RateLimitOptions",
        ["RateLimit__ServerPerSecond"] = "tuning, default in RateLimitOptions",
        ["RateLimit__UserPerSecond"] = "tuning, default in RateLimitOptions",
        ["Limits__SessionsPerUser"] = "tuning, default in LimitsOptions",
        ["Limits__SessionMaxTtlSeconds"] = "tuning, default in LimitsOptions",
        ["Limits__RoomsPerUser"] = "tuning, default in LimitsOptions",
        ["Limits__MembersPerRoom"] = "tuning, default in LimitsOptions",
        ["Limits__SyncAnswerBytes"] = "tuning, default in LimitsOptions",
        ["Presence__LeaseSeconds"] = "tuning, default in PresenceOptions",
        ["Presence__OnlinePushIntervalMs"] = "tuning, default in PresenceOptions",
        ["Presence__OnlinePushBudgetPerSecond"] = "tuning, default in PresenceOptions",
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "Azure exports to Application Insights (APPLICATIONINSIGHTS_*); OTLP is for other collectors",
        ["Observability__ConsoleMetricsSeconds"] = "the local view of scripts/dev.sh; Azure has Application Insights",
    };

    /// <summary>Settings introduced for Azure (Entra auth) by the deployment; the app must implement them.</summary>
    public static IReadOnlyList<string> AzureOnly { get; } =
    [
        "RedisEntraClientId",
        "SignalRUpstreamAudience",
        "SignalRUpstreamTenantId",
        "SignalRUpstreamClientId",
    ];

    [GeneratedRegex(@"(?m)^\|\s*`(?<name>[A-Za-z_][A-Za-z0-9_]*)`\s*\|(?<default>[^|]*)\|(?<meaning>.*)\|\s*$")]
    private static partial Regex TableRow();
}
