using System.ComponentModel.DataAnnotations;

namespace PushFunctions.Configuration;

/// <summary>The local view of the app's metrics.</summary>
[SettingsSection(Section)]
public sealed class ObservabilityOptions
{
    public const string Section = "Observability";

    /// <summary>Print the app's metrics to stdout every N seconds (<c>scripts/dev.sh</c> sets 15); 0, never.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "Setting '{0}' must be 0 or a positive whole number.")]
    public int ConsoleMetricsSeconds { get; set; }
}
