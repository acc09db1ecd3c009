using System.Text.Json;

namespace Deployment.Tests;

public class HostJsonTests
{
    private static JsonElement Host() => HostJson.Root();

    [Fact]
    public void Version_is_2()
    {
        Assert.Equal("2.0", Host().GetProperty("version").GetString());
    }

    [Fact]
    public void Route_prefix_is_api_so_function_routes_do_not_carry_it()
    {
        // The host puts /api in front of every [HttpTrigger] route; the local Functions host reads the same setting.
        Assert.Equal("api", Host().GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public void The_worker_config_starts_the_app_assembly_with_dotnet_as_an_isolated_worker()
    {
        // What the host starts instead of a custom handler: worker.config.json, written by the Worker SDK beside the app.
        using var doc = JsonDocument.Parse(File.ReadAllText(FunctionMetadata.BuildOutput("worker.config.json")));
        var description = doc.RootElement.GetProperty("description");
        Assert.Equal("dotnet-isolated", description.GetProperty("language").GetString());
        Assert.Equal("dotnet", description.GetProperty("defaultExecutablePath").GetString());
        Assert.Equal("PushFunctions.dll", description.GetProperty("defaultWorkerPath").GetString());
    }

    [Fact]
    public void Worker_assembly_is_the_app_assembly_name()
    {
        var csproj = RepoFiles.Read("src", "PushFunctions", "PushFunctions.csproj");
        Assert.DoesNotContain("<AssemblyName>", csproj, StringComparison.Ordinal);   // so the worker is PushFunctions.dll
        Assert.True(File.Exists(FunctionMetadata.BuildOutput("PushFunctions.dll")));
        Assert.All(FunctionMetadata.LoadAll(), f => Assert.Equal("PushFunctions.dll", f.ScriptFile));
    }

    [Fact]
    public void No_custom_handler_or_configuration_profile_because_the_worker_sdk_generates_the_functions()
    {
        // A customHandler section would make the host start an executable instead of the .NET worker.
        var root = Host();
        Assert.False(root.TryGetProperty("configurationProfile", out _));
        Assert.False(root.TryGetProperty("customHandler", out _));
    }

    [Fact]
    public void Build_output_carries_the_repository_host_json()
    {
        // host.json stays at the repository root; the build (and the publish package) copies it beside the worker.
        Assert.Equal(RepoFiles.Read("host.json"), File.ReadAllText(FunctionMetadata.BuildOutput("host.json")));
    }

    [Fact]
    public void Logging_sends_function_logs_to_application_insights()
    {
        // The worker's ILogger output reaches the host under Function.<name>.User.
        var logLevel = Host().GetProperty("logging").GetProperty("logLevel");
        Assert.Equal("Information", logLevel.GetProperty("Function").GetString());
    }
}
