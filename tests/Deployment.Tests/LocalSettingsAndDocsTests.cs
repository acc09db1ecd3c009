using System.Text.Json;
using System.Text.RegularExpressions;

namespace Deployment.Tests;

public class LocalSettingsAndDocsTests
{
    private static Dictionary<string, string> SampleValues()
    {
        using var doc = RepoFiles.ReadJson("local.settings.sample.json");
        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.False, root.GetProperty("IsEncrypted").ValueKind);
        return root.GetProperty("Values").EnumerateObject().ToDictionary(
            p => p.Name,
            p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw new FormatException($"{p.Name} is not a string"));
    }

    [Fact]
    public void Sample_has_every_contract_setting()
    {
        var values = SampleValues();
        Assert.Empty(Settings.FromContracts().Select(s => s.Name).Where(n => !values.ContainsKey(n)).ToList());
    }

    [Fact]
    public void Sample_has_every_setting_the_app_defines()
    {
        var values = SampleValues();
        var missing = Settings.FromApp().Where(n => !values.ContainsKey(n));
        Assert.Empty(missing);
    }

    [Fact]
    public void Sample_gives_required_settings_local_values_the_app_accepts()
    {
        var values = SampleValues();
        foreach (var required in Settings.FromContracts().Where(s => s.Required))
            Assert.False(string.IsNullOrWhiteSpace(values[required.Name]), required.Name + " is empty");

        Assert.StartsWith("Endpoint=http://127.0.0.1;", values["AzureSignalRConnectionString"]);
        Assert.StartsWith("127.0.0.1:", values["RedisConnectionString"]);
        Assert.All(values["PushServerKeys"].Split(','), k => Assert.True(k.Trim().Length >= 16));
        Assert.All(values["SessionSigningKeys"].Split(','), k => Assert.True(k.Trim().Length >= 32));
        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]);   // func start (Core Tools) only; Flex rejects it
        Assert.Equal("UseDevelopmentStorage=true", values["AzureWebJobsStorage"]);   // Azurite: timer triggers need storage under func start
    }

    [Fact]
    public void Azure_only_settings_are_empty_locally()
    {
        var values = SampleValues();
        Assert.All(Settings.AzureOnly, n => Assert.Equal("", values[n]));
    }

    [Fact]
    public void Local_settings_json_itself_is_ignored_by_git()
    {
        var ignore = RepoFiles.Read(".gitignore").Split('\n').Select(l => l.Trim());
        Assert.Contains("local.settings.json", ignore);
    }

    [Fact]
    public void Deploy_doc_explains_every_sample_setting_in_one_line()
    {
        var doc = RepoFiles.Read("docs", "DEPLOY.md");
        var missing = SampleValues().Keys.Where(n => !Regex.IsMatch(doc, @"(?m)^\|\s*`" + Regex.Escape(n) + @"`\s*\|"));
        Assert.Empty(missing);
    }

    [Fact]
    public void Deploy_doc_covers_the_required_topics()
    {
        var doc = RepoFiles.Read("docs", "DEPLOY.md");
        string[] needed =
        [
            "## Prerequisites", "scripts/deploy.sh", "az deployment group create", "scripts/package.sh",
            "az functionapp deployment source config-zip", "az functionapp keys set",
            "## Rotate keys", "## Cost", "## Not verified", "infra/main.bicepparam",
        ];
        Assert.Empty(needed.Where(n => !doc.Contains(n, StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public void Package_script_publishes_the_isolated_worker_without_function_json_or_an_executable()
    {
        var script = RepoFiles.Read("scripts", "package.sh");
        Assert.Contains("dotnet publish \"$project\"", script);
        Assert.Contains("--configuration Release", script);
        Assert.Contains("-p:UseAppHost=false", script);
        Assert.DoesNotContain("--self-contained", script);
        Assert.DoesNotContain("--runtime", script);
        Assert.DoesNotContain("cp \"$dir/function.json\"", script);
        Assert.Contains("functions.metadata worker.config.json", script);   // checked in the output and in the zip
        Assert.Contains("zipinfo", script);
        Assert.Contains("artifacts/pushfunctions.zip", script);
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(RepoFiles.PathOf("scripts", "package.sh"));
            Assert.True(mode.HasFlag(UnixFileMode.UserExecute), "scripts/package.sh is not executable");
        }
    }
}
