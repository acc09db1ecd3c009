using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;

namespace Deployment.Tests;

/// <summary>Runs alone: the publish rebuilds src/PushFunctions' Release output, which other tests read.</summary>
[CollectionDefinition(nameof(PackageCollection), DisableParallelization = true)]
public sealed class PackageCollection;

/// <summary>scripts/package.sh run once for real (a framework-dependent publish of the Release build), its zip opened.</summary>
public sealed class PackageFixture : IAsyncLifetime
{
    private readonly string artifacts = Path.Combine(Path.GetTempPath(), "pushfunctions-package-" + Guid.NewGuid().ToString("N"));

    public ZipArchive Zip { get; private set; } = null!;
    public string Output { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo("bash", [RepoFiles.PathOf("scripts", "package.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["PACKAGE_ARTIFACTS"] = artifacts,
                ["MSBUILDTERMINALLOGGER"] = "off",
                // No build server or reusable nodes outliving the test with its output pipes.
                ["MSBUILDDISABLENODEREUSE"] = "1",
                ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
            },
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Output = await stdout + await stderr;
        if (process.ExitCode != 0) throw new InvalidOperationException("scripts/package.sh failed:\n" + Output);
        Zip = ZipFile.OpenRead(Path.Combine(artifacts, "pushfunctions.zip"));
    }

    public Task DisposeAsync()
    {
        Zip?.Dispose();
        if (Directory.Exists(artifacts)) Directory.Delete(artifacts, recursive: true);
        return Task.CompletedTask;
    }
}

[Collection(nameof(PackageCollection))]
public sealed class PackageTests(PackageFixture package) : IClassFixture<PackageFixture>
{
    private string Text(string entry)
    {
        using var reader = new StreamReader(package.Zip.GetEntry(entry)!.Open());
        return reader.ReadToEnd();
    }

    [Fact]
    public void The_zip_holds_what_the_host_reads_at_its_root()
    {
        var root = package.Zip.Entries.Select(e => e.FullName).Where(n => !n.Contains('/')).ToHashSet();
        Assert.Superset(new HashSet<string> { "host.json", "functions.metadata", "worker.config.json", "extensions.json",
            "PushFunctions.dll", "PushFunctions.deps.json", "PushFunctions.runtimeconfig.json" }, root);
        Assert.Equal(RepoFiles.Read("host.json"), Text("host.json"));
    }

    [Fact]
    public void The_functions_in_the_zip_are_the_expected_routes_and_timers()
    {
        using var metadata = JsonDocument.Parse(Text("functions.metadata"));
        var names = metadata.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()!).Order();
        var expected = ExpectedRoutes.All.Select(r => r.Function).Concat(ExpectedRoutes.Timers.Select(t => t.Function)).Order();
        Assert.Equal(expected, names);
        Assert.Contains($"{names.Count()} functions in functions.metadata", package.Output);
    }

    [Fact]
    public void The_worker_runs_on_the_hosts_dotnet_not_as_an_executable()
    {
        using var worker = JsonDocument.Parse(Text("worker.config.json"));
        Assert.Equal("PushFunctions.dll", worker.RootElement.GetProperty("description").GetProperty("defaultWorkerPath").GetString());
        using var runtime = JsonDocument.Parse(Text("PushFunctions.runtimeconfig.json"));
        Assert.True(runtime.RootElement.GetProperty("runtimeOptions").TryGetProperty("frameworks", out _), "not framework-dependent");

        var names = package.Zip.Entries.Select(e => e.Name).ToList();
        Assert.DoesNotContain("PushFunctions", names);              // no launcher: no custom handler, no apphost
        Assert.DoesNotContain("System.Private.CoreLib.dll", names); // no self-contained runtime
        Assert.DoesNotContain("function.json", names);
        Assert.DoesNotContain("local.settings.json", names);
    }
}
