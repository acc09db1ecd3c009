using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using PushFunctions;
using PushFunctions.Configuration;
using PushFunctions.Security;

namespace Deployment.Tests;

/// <summary>
/// The app's own endpoint table against the deployed route table: every route the app serves has a function
/// (or the Functions host would 404 it), and every function reaches a route, with the same methods and callers.
/// </summary>
public class AppRouteTableTests
{
    private static IReadOnlyList<ExpectedRoute> AppRoutes()
    {
        // Building the app resolves no dependency: nothing connects to Redis or SignalR here.
        var app = PushApp.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [SettingNames.SignalRConnectionString] = "Endpoint=http://127.0.0.1;Port=1;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;",
            [SettingNames.RedisConnectionString] = "127.0.0.1:1,abortConnect=false",
            [SettingNames.ServerKeys] = "route-table-test-key",
            [SettingNames.SessionSigningKeys] = "route-table-test-signing-key-0123456789",
        }));

        return ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
                .Select(method => new ExpectedRoute(method, endpoint.RoutePattern.RawText!, default, CallerOf(endpoint))))
            .ToList();
    }

    private static Caller CallerOf(Endpoint endpoint)
    {
        if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null) return Caller.Anyone;
        var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
        return policies switch
        {
            [Credentials.Server] => Caller.Server,
            [Credentials.Session] => Caller.Browser,
            [Credentials.ServerOrSession] => Caller.ServerOrBrowser,
            [Credentials.Upstream] => Caller.SignalRUpstream,
            _ => throw new InvalidOperationException($"{endpoint.DisplayName} has unexpected policies: {string.Join(", ", policies)}"),
        };
    }

    private static string Key(ExpectedRoute route) => $"{route.Method} {route.Path} {route.Caller}";

    [Fact]
    public void Every_app_route_is_in_the_deployed_route_table_with_the_same_caller()
    {
        var expected = ExpectedRoutes.All.Select(Key).ToHashSet();
        var missing = AppRoutes().Select(Key).Where(route => !expected.Contains(route)).ToList();
        Assert.True(missing.Count == 0, "App routes with no function (or another caller): " + string.Join("; ", missing));
    }

    [Fact]
    public void Every_deployed_route_is_served_by_the_app()
    {
        var served = AppRoutes().Select(Key).ToHashSet();
        var unserved = ExpectedRoutes.All.Select(Key).Where(route => !served.Contains(route)).ToList();
        Assert.True(unserved.Count == 0, "Functions whose route the app does not serve: " + string.Join("; ", unserved));
    }
}
