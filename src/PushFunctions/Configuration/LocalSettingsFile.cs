using System.Text.Json;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace PushFunctions.Configuration;

/// <summary>
/// Reads <c>local.settings.json</c> the way Azure Functions Core Tools does (its <c>Values</c> become
/// settings), so the app started on its own sees the same names as in Azure. Environment variables win.
/// </summary>
public static class LocalSettingsFile
{
    public const string FileName = "local.settings.json";

    public static void AddLocalSettings(this ConfigurationManager configuration, string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return;

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        if (!document.RootElement.TryGetProperty("Values", out var values)) return;

        var settings = values.EnumerateObject()
            .Select(p => KeyValuePair.Create(p.Name.Replace("__", ":"), (string?)p.Value.ToString()));
        var source = new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = settings };

        // Below environment variables, so an app setting always overrides the file.
        var envIndex = configuration.Sources.ToList().FindIndex(s => s is EnvironmentVariablesConfigurationSource);
        configuration.Sources.Insert(envIndex < 0 ? 0 : envIndex, source);
    }
}
