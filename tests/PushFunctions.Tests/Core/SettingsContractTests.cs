using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PushFunctions.Configuration;

namespace PushFunctions.Tests.Core;

/// <summary>The settings classes are the one place of the settings: README's table follows them, the app validates them all at start.</summary>
public sealed partial class SettingsContractTests
{
    private static IReadOnlyList<Type> SettingsClasses { get; } =
        [.. typeof(PushApp).Assembly.GetTypes().Where(t => t.GetCustomAttribute<SettingsSectionAttribute>() is not null).OrderBy(t => t.Name)];

    [Fact]
    public void README_lists_every_setting_with_its_default_and_no_other()
    {
        var classes = SettingsClasses
            .SelectMany(type => Setting.Of(type).Select(setting => $"{setting.Name} = {DefaultOf(type, setting)}"))
            .Order(StringComparer.Ordinal);
        var readme = ReadmeRows().Select(row => $"{row.Name} = {row.Default}").Order(StringComparer.Ordinal);

        Assert.Equal(classes, readme);
    }

    [Fact]
    public void Every_settings_class_is_bound_and_validated_at_start()
    {
        var services = new ServiceCollection().AddPushSettings(new ConfigurationBuilder().Build());

        Assert.All(SettingsClasses, type =>
        {
            Assert.Contains(services, d => d.ServiceType == typeof(IConfigureOptions<>).MakeGenericType(type));
            Assert.Contains(services, d => d.ServiceType == typeof(IValidateOptions<>).MakeGenericType(type));
        });
    }

    [Fact]
    public async Task A_bad_setting_stops_the_app_with_exit_code_2_naming_it_without_its_value()
    {
        // The arguments the Functions host starts the worker with; the settings are checked before it connects.
        var start = new ProcessStartInfo("dotnet",
        [
            Path.Combine(AppContext.BaseDirectory, "PushFunctions.dll"), "--functions-uri", "http://127.0.0.1:1/",
            "--functions-worker-id", "test", "--functions-request-id", "test", "--functions-grpc-max-message-length", "2147483647",
        ])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var (name, value) in TestSettings.Valid()) start.Environment[name] = value;
        start.Environment[SettingNames.SessionSigningKeys] = "too-short-secret-value";
        start.Environment[SettingNames.OnlinePushBudgetPerSecond] = "lots";
        start.Environment[SettingNames.RedisConnectionString] = "";

        using var app = Process.Start(start)!;
        var error = app.StandardError.ReadToEndAsync();
        _ = app.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await app.WaitForExitAsync(timeout.Token);

        Assert.Equal(InvalidSettingsException.ExitCode, app.ExitCode);
        var message = await error;
        Assert.Contains("PushFunctions cannot start", message);
        Assert.Contains(SettingNames.SessionSigningKeys, message);
        Assert.Contains(SettingNames.OnlinePushBudgetPerSecond, message);
        Assert.Contains(SettingNames.RedisConnectionString, message);
        Assert.DoesNotContain("too-short-secret-value", message);
        Assert.DoesNotContain("lots", message);
    }

    /// <summary>The default column: <c>required</c>, <c>none</c>, or the value in backticks.</summary>
    private static string DefaultOf(Type type, Setting setting) =>
        setting.Property.GetCustomAttribute<RequiredAttribute>() is not null ? "required"
        : setting.Property.GetValue(Activator.CreateInstance(type)) is { } value ? $"`{Convert.ToString(value, CultureInfo.InvariantCulture)}`"
        : "none";

    /// <summary>The rows of the settings table under README's "## Configuration".</summary>
    private static IEnumerable<(string Name, string Default)> ReadmeRows()
    {
        var readme = File.ReadAllText(RepoPath("README.md"));
        var start = readme.IndexOf("\n## Configuration", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '## Configuration' section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return Row().Matches(end < 0 ? readme[start..] : readme[start..end])
            .Select(m => (m.Groups["name"].Value, m.Groups["default"].Value.Trim()));
    }

    private static string RepoPath(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PushFunctions.sln"))) return Path.Combine([dir.FullName, .. parts]);
        }
        throw new InvalidOperationException("The repository root (PushFunctions.sln) is not above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"(?m)^\|\s*`(?<name>[A-Za-z_][A-Za-z0-9_]*)`\s*\|(?<default>[^|]*)\|.*\|\s*$")]
    private static partial Regex Row();
}
