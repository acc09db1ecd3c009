using System.Text.RegularExpressions;

namespace SignalREmulator.Groups;

/// <summary>Hub names are case-insensitive in the service; internally they are lowercase, prefixed by the application.</summary>
public static partial class HubNames
{
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_`,.\[\]]{0,127}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    public static string Normalize(string hub, string? application) =>
        string.IsNullOrEmpty(application)
            ? hub.ToLowerInvariant()
            : application.ToLowerInvariant() + "_" + hub.ToLowerInvariant();
}
