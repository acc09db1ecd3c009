using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using PushFunctions.Configuration;
using PushFunctions.Http;
using PushFunctions.Security;
using WorkerFunctionDefinition = Microsoft.Azure.Functions.Worker.FunctionDefinition;

namespace Deployment.Tests;

/// <summary>One endpoint of the development host: the function it runs, its method and path, the credentials it accepts.</summary>
public sealed record DevHostRoute(string Function, string EntryPoint, string Method, string Path, IReadOnlyList<Credential> Accepts);

/// <summary>The endpoint table of tools/FunctionsDevHost, built the way scripts/dev.sh and the integration tests build it.</summary>
public static class DevHostRoutes
{
    public static IReadOnlyList<DevHostRoute> All { get; } = Load();

    public const string ServerKey = "route-table-test-key";
    public const string AccessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

    /// <summary>The development host with valid settings whose Redis and SignalR Service never answer (port 1).</summary>
    public static WebApplication Build() =>
        FunctionsDevHost.DevHost.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [SettingNames.SignalRConnectionString] = $"Endpoint=http://127.0.0.1;Port=1;AccessKey={AccessKey};Version=1.0;",
            [SettingNames.RedisConnectionString] = "127.0.0.1:1,abortConnect=false",
            [SettingNames.ServerKeys] = ServerKey,
            [SettingNames.SessionSigningKeys] = "route-table-test-signing-key-0123456789",
        }));

    private static IReadOnlyList<DevHostRoute> Load()
    {
        // Building the host resolves no dependency: nothing connects to Redis or SignalR here.
        var app = Build();
        // The front door looks up a function's credentials by name in the catalog; so do we.
        var catalog = app.Services.GetService(typeof(FunctionCatalog)) as FunctionCatalog
                      ?? throw new InvalidOperationException("The development host registers no FunctionCatalog.");

        return ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .SelectMany(endpoint =>
            {
                var function = endpoint.Metadata.GetMetadata<WorkerFunctionDefinition>()
                               ?? throw new InvalidOperationException($"{endpoint.DisplayName} names no function.");
                return (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
                    .Select(method => new DevHostRoute(function.Name, function.EntryPoint, method, endpoint.RoutePattern.RawText!, catalog[function.Name].Accepts));
            })
            .ToList();
    }
}

/// <summary>
/// The app's own endpoint table (the development host's) against the deployed route table: every route the app
/// serves has a function (or the Functions host would 404 it), and every function reaches a route, with the same
/// methods and callers.
/// </summary>
public class AppRouteTableTests
{
    private static string Key(string function, string method, string path, IEnumerable<Credential> accepts) =>
        $"{function}: {method} {path} [{string.Join(",", accepts.Order())}]";

    private static IEnumerable<string> Served() => DevHostRoutes.All.Select(r => Key(r.Function, r.Method, r.Path, r.Accepts));

    private static IEnumerable<string> Expected() => ExpectedRoutes.All.Select(r => Key(r.Function, r.Method, r.Path, r.Credentials));

    [Fact]
    public void Every_app_route_is_in_the_deployed_route_table_with_the_same_caller()
    {
        var expected = Expected().ToHashSet();
        var missing = Served().Where(route => !expected.Contains(route)).ToList();
        Assert.True(missing.Count == 0, "App routes with no function (or another caller): " + string.Join("; ", missing));
    }

    [Fact]
    public void Every_deployed_route_is_served_by_the_app()
    {
        var served = Served().ToHashSet();
        var unserved = Expected().Where(route => !served.Contains(route)).ToList();
        Assert.True(unserved.Count == 0, "Functions whose route the app does not serve: " + string.Join("; ", unserved));
    }
}
