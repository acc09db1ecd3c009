using System.Reflection;
using System.Text.Json;

namespace Deployment.Tests;

/// <summary>
/// The Bicep CLI from the NuGet package Azure.Bicep.CommandLine.linux-x64 (a PackageDownload of this project;
/// its path comes from the csproj as assembly metadata). Offline: infra/main.bicep references no registry module.
/// </summary>
public static class BicepCli
{
    public sealed record Result(int ExitCode, string Output)
    {
        /// <summary>Every diagnostic line the CLI printed (warnings and errors go to its output, not its exit code).</summary>
        public IReadOnlyList<string> Diagnostics => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        public override string ToString() => $"exit {ExitCode}\n{Output}";
    }

    private static readonly Lazy<JsonDocument> MainTemplate = new(() =>
    {
        var outFile = Path.Combine(Path.GetTempPath(), $"main-{Guid.NewGuid():N}.json");
        try
        {
            var result = Run(["build", RepoFiles.PathOf("infra", "main.bicep"), "--outfile", outFile]);
            if (result.ExitCode != 0) throw new InvalidOperationException("bicep build failed: " + result);
            return JsonDocument.Parse(File.ReadAllText(outFile));
        }
        finally
        {
            File.Delete(outFile);
        }
    });

    public static string Executable { get; } = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BicepCli").Value!;

    /// <summary>infra/main.bicep compiled to its ARM JSON template (built once per test run).</summary>
    public static JsonElement CompiledMain => MainTemplate.Value.RootElement;

    /// <summary>The compiled template's resources of one type.</summary>
    public static IEnumerable<JsonElement> CompiledResources(string type) =>
        CompiledSymbols(CompiledMain).Values.Where(r => r.GetProperty("type").GetString() == type);

    /// <summary>
    /// A compiled template's resources by symbolic name. Templates that import types or functions compile to
    /// languageVersion 2.0, where <c>resources</c> is an object keyed by the Bicep symbol (modules are
    /// Microsoft.Resources/deployments with their template nested under properties.template).
    /// </summary>
    public static IReadOnlyDictionary<string, JsonElement> CompiledSymbols(JsonElement template)
    {
        var resources = template.GetProperty("resources");
        Assert.True(resources.ValueKind == JsonValueKind.Object,
            "expected a languageVersion 2.0 template (resources keyed by symbol), got " + resources.ValueKind);
        return resources.EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
    }

    /// <summary>Runs the CLI with <paramref name="arguments"/>; <paramref name="environment"/> is added to (null: removed from) its environment.</summary>
    public static Result Run(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        Assert.True(File.Exists(Executable), $"Bicep CLI not found at {Executable}: restore tests/Deployment.Tests (PackageDownload Azure.Bicep.CommandLine.linux-x64)");
        if (!OperatingSystem.IsWindows() && !File.GetUnixFileMode(Executable).HasFlag(UnixFileMode.UserExecute))
            File.SetUnixFileMode(Executable, File.GetUnixFileMode(Executable) | UnixFileMode.UserExecute);

        // No telemetry or update checks from a test run.
        var variables = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>()) { ["BICEP_TELEMETRY_ENABLED"] = "false" };
        var (exitCode, output) = ChildProcess.Run(Executable, arguments, RepoFiles.Root, variables);
        return new Result(exitCode, output);
    }
}
