using FunctionsHost;
using FunctionsHost.Http;
using Microsoft.AspNetCore.Routing;
using PushFunctions;
using PushFunctions.Configuration;
using PushFunctions.Http;
using PushFunctions.Security;

namespace Deployment.Tests;

/// <summary>One endpoint of the local Functions host: the function it runs, its method and path, the credentials the app accepts there.</summary>
public sealed record HostRoute(string Function, string EntryPoint, string Method, string Path, IReadOnlyList<Credential> Accepts);

/// <summary>The endpoint table of tools/FunctionsHost, as scripts/dev.sh and the tests run it (with the app in this process).</summary>
public static class HostRoutes
{
    public const string ServerKey = "route-table-test-key";
    public const string AccessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

    private static readonly FunctionCatalog Catalog = new(typeof(PushApp).Assembly);

    public static IReadOnlyList<HostRoute> All { get; } = Load();

    /// <summary>The host with the app in this process, valid settings whose Redis and SignalR Service never answer (port 1), no storage (no timers).</summary>
    public static Task<LocalFunctionsHost> StartAsync() => LocalFunctionsHost.StartAsync(new FunctionsHostOptions
    {
        AppDirectory = Path.GetDirectoryName(FunctionMetadata.FilePath)!,
        Urls = "http://127.0.0.1:0",
        Settings = new Dictionary<string, string?>
        {
            [SettingNames.SignalRConnectionString] = $"Endpoint=http://127.0.0.1;Port=1;AccessKey={AccessKey};Version=1.0;",
            [SettingNames.RedisConnectionString] = "127.0.0.1:1,abortConnect=false",
            [SettingNames.ServerKeys] = ServerKey,
            [SettingNames.SessionSigningKeys] = "route-table-test-signing-key-0123456789",
        },
        ConfigureLogging = _ => { }, // no log providers: nothing printed
        InProcessApp = (worker, configuration) => worker.AddPushFunctions(configuration),
    });

    private static IReadOnlyList<HostRoute> Load()
    {
        // Starting the host resolves no dependency: nothing connects to Redis or SignalR here.
        var host = StartAsync().GetAwaiter().GetResult();
        try
        {
            return ((EndpointDataSource)host.Services.GetService(typeof(EndpointDataSource))!).Endpoints
                .OfType<RouteEndpoint>()
                .SelectMany(endpoint =>
                {
                    var function = endpoint.Metadata.GetMetadata<FunctionEndpoint>()?.Function
                                   ?? throw new InvalidOperationException($"{endpoint.DisplayName} names no function.");
                    return function.Http!.Methods
                        .Select(method => new HostRoute(function.Name, function.EntryPoint, method, "/" + endpoint.RoutePattern.RawText!, Catalog[function.Name].Accepts));
                })
                .ToList();
        }
        finally
        {
            host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}

/// <summary>
/// The host's endpoint table against the deployed route table: every route the host serves has a function (or the
/// Functions host would 404 it), and every function reaches a route, with the same methods and callers.
/// </summary>
public class AppRouteTableTests
{
    private static string Key(string function, string method, string path, IEnumerable<Credential> accepts) =>
        $"{function}: {method} {path} [{string.Join(",", accepts.Order())}]";

    private static IEnumerable<string> Served() => HostRoutes.All.Select(r => Key(r.Function, r.Method, r.Path, r.Accepts));

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
