using System.Text.Json;

namespace Deployment.Tests;

public class HostJsonTests
{
    private static JsonElement Host() => RepoFiles.ReadJson("host.json").RootElement;

    [Fact]
    public void Version_is_2()
    {
        Assert.Equal("2.0", Host().GetProperty("version").GetString());
    }

    [Fact]
    public void Route_prefix_is_empty_because_function_routes_carry_api()
    {
        // With "" the public path equals the function route, and the proxied path equals the app's path.
        Assert.Equal("", Host().GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public void Custom_handler_proxies_requests_to_the_self_contained_executable()
    {
        var handler = Host().GetProperty("customHandler");
        Assert.True(handler.GetProperty("enableProxyingHttpRequest").GetBoolean());
        Assert.False(handler.TryGetProperty("enableForwardingHttpRequest", out var fwd) && fwd.GetBoolean());

        var description = handler.GetProperty("description");
        Assert.Equal("PushFunctions", description.GetProperty("defaultExecutablePath").GetString());
        Assert.Equal(
            ["--urls", "http://127.0.0.1:%FUNCTIONS_CUSTOMHANDLER_PORT%"],
            description.GetProperty("arguments").EnumerateArray().Select(a => a.GetString() ?? "").ToArray());
    }

    [Fact]
    public void Executable_name_is_the_app_assembly_name()
    {
        var csproj = RepoFiles.Read("src", "PushFunctions", "PushFunctions.csproj");
        Assert.DoesNotContain("<AssemblyName>", csproj, StringComparison.Ordinal);   // so the apphost is "PushFunctions"
        Assert.True(File.Exists(RepoFiles.PathOf("src", "PushFunctions", "PushFunctions.csproj")));
    }

    [Fact]
    public void No_http_routes_or_configuration_profile_because_function_json_files_exist()
    {
        // Both configuration sources at once stop the host (functions-custom-handler.md §1.4, §7 pitfall 12).
        var root = Host();
        Assert.False(root.TryGetProperty("configurationProfile", out _));
        Assert.False(root.GetProperty("customHandler").TryGetProperty("http", out _));
    }

    [Fact]
    public void Logging_sends_handler_console_output_to_application_insights()
    {
        var logLevel = Host().GetProperty("logging").GetProperty("logLevel");
        Assert.Equal("Information", logLevel.GetProperty("Host.Function.Console").GetString());
    }
}
