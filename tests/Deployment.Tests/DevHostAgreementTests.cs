using FunctionsDevHost;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using PushFunctions;
using PushFunctions.Http;
using PushFunctions.Security;

namespace Deployment.Tests;

/// <summary>
/// tools/FunctionsDevHost serves what the Functions host will serve: the same functions on the same routes and
/// methods, behind the same credentials, and the same timers on the same schedules, as functions.metadata says.
/// </summary>
public class DevHostAgreementTests
{
    private static readonly IReadOnlyList<FunctionMetadata> Metadata = FunctionMetadata.LoadAll();
    private static readonly FunctionCatalog Catalog = new(typeof(PushApp).Assembly);

    [Fact]
    public void Dev_host_serves_every_metadata_http_function_on_its_method_and_path_and_nothing_else()
    {
        var deployed = Metadata.Where(f => f.HttpTrigger is not null)
            .SelectMany(f => f.Methods.Select(m => $"{f.Name} ({f.EntryPoint}): {m.ToUpperInvariant()} {f.Path}"))
            .Order().ToList();
        var served = DevHostRoutes.All.Select(r => $"{r.Function} ({r.EntryPoint}): {r.Method} {r.Path}").Order().ToList();
        Assert.Equal(deployed, served);
    }

    [Fact]
    public async Task Dev_host_front_door_refuses_every_caller_a_function_does_not_declare()
    {
        // Refusals need no I/O (a missing credential, a server key, an upstream signature), so a host whose Redis
        // and SignalR Service never answer shows which credentials each route demands.
        await using var app = DevHostRoutes.Build();
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var refusals = new List<string>();
        foreach (var function in Metadata.Where(f => f.HttpTrigger is not null && AcceptsOf(f).Count > 0))
        {
            var accepts = AcceptsOf(function);
            var expected = new[]
            {
                ("none", 401),
                ("server key", accepts.Contains(Credential.Server) ? 0 : 403),
                ("upstream signature", accepts.Contains(Credential.Upstream) ? 0 : 403),
            };
            foreach (var (credential, status) in expected.Where(e => e.Item2 != 0))
            {
                using var request = new HttpRequestMessage(new HttpMethod(function.Methods[0].ToUpperInvariant()), Fill(function.Path));
                if (credential == "server key") request.Headers.Add(Credentials.ServerKeyHeader, DevHostRoutes.ServerKey);
                if (credential == "upstream signature")
                {
                    request.Headers.Add(Credentials.ConnectionIdHeader, "c1");
                    request.Headers.Add(Credentials.SignatureHeader, PushFunctions.Security.UpstreamSignature.Compute(DevHostRoutes.AccessKey, "c1"));
                }
                using var response = await client.SendAsync(request);
                if ((int)response.StatusCode != status) refusals.Add($"{function.Name} with {credential}: {(int)response.StatusCode}, expected {status}");
            }
        }
        await app.StopAsync();
        Assert.Empty(refusals);
    }

    private static string Fill(string path) => path
        .Replace("{userId}", "u1").Replace("{roomId}", "r1").Replace("{sessionId}", "s1")
        .Replace("{hub}", "push").Replace("{category}", "connections").Replace("{event}", "connected");

    [Fact]
    public void Host_key_is_required_exactly_where_only_the_server_credential_is_accepted()
    {
        // authLevel Function: the host refuses a caller without a key before the worker runs, so only the main
        // backend can call it. Any function a browser or SignalR Service calls must be anonymous at the host.
        var wrong = Metadata.Where(f => f.HttpTrigger is not null)
            .Where(f => (f.AuthLevel == "Function") != AcceptsOf(f).SequenceEqual([Credential.Server]))
            .Select(f => $"{f.Name}: {f.AuthLevel}, accepts [{string.Join(",", AcceptsOf(f))}]");
        Assert.Empty(wrong);
    }

    [Fact]
    public void Only_health_is_anonymous_and_timers_declare_no_credential()
    {
        var anonymous = Metadata.Where(f => f.HttpTrigger is not null && AcceptsOf(f).Count == 0).Select(f => f.Name);
        Assert.Equal(["health"], anonymous);
        Assert.All(Metadata.Where(f => f.TimerTrigger is not null), f => Assert.Empty(AcceptsOf(f)));
    }

    [Fact]
    public void Catalog_holds_exactly_the_metadata_functions_with_their_entry_points()
    {
        var catalog = Catalog.All.Select(f => $"{f.Name} {f.Method.DeclaringType!.FullName}.{f.Method.Name}").Order();
        var metadata = Metadata.Select(f => $"{f.Name} {f.EntryPoint}").Order();
        Assert.Equal(metadata, catalog);
    }

    [Fact]
    public void Dev_host_fires_every_timer_on_its_metadata_schedule()
    {
        var deployed = Metadata.Where(f => f.TimerTrigger is not null).Select(f => $"{f.Name} '{f.Schedule}'").Order();
        var fired = Catalog.All.Select(f => new FunctionInvoker(f)).Where(f => f.Timer is not null)
            .Select(f => $"{f.Definition.Name} '{f.Timer!.Schedule}'").Order();
        Assert.Equal(deployed, fired);
    }

    [Fact]
    public void Dev_function_context_keeps_the_HttpContext_where_the_worker_integration_reads_it()
    {
        var http = new DefaultHttpContext();
        var definition = new DevFunctionDefinition("health", "PushFunctions.Health.HealthFunctions.Check", "PushFunctions.dll", "request", "httpTrigger");
        using var services = new ServiceCollection().BuildServiceProvider();

        var context = new DevFunctionContext(definition, services, http, CancellationToken.None);
        Assert.Same(http, context.GetHttpContext());
        Assert.Same(http, context.Items[DevFunctionContext.HttpContextKey]);

        var timer = new DevFunctionContext(definition, services, http: null, CancellationToken.None);
        Assert.Null(timer.GetHttpContext());
        timer.Items[DevFunctionContext.HttpContextKey] = http;   // the worker's key, set by hand: the extension finds it
        Assert.Same(http, timer.GetHttpContext());
    }

    private static IReadOnlyList<Credential> AcceptsOf(FunctionMetadata function) => Catalog[function.Name].Accepts;
}
