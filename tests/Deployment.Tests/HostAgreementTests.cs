using System.Net;
using HostFunction = FunctionsHost.Functions.FunctionInfo;
using FunctionsHost.InProcess;
using FunctionsHost.Timers;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using PushFunctions;
using PushFunctions.Http;
using PushFunctions.Security;

namespace Deployment.Tests;

/// <summary>
/// tools/FunctionsHost serves what the Functions host will serve: the functions.metadata routes on their methods and
/// nothing else (a bare 404), its host key in front of authLevel function routes (a bare 401), the app's own credential
/// check behind the anonymous ones, and the same timers on the same schedules.
/// </summary>
public class HostAgreementTests
{
    private static readonly IReadOnlyList<FunctionMetadata> Metadata = FunctionMetadata.LoadAll();
    private static readonly FunctionCatalog Catalog = new(typeof(PushApp).Assembly);
    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH"];

    [Fact]
    public async Task Host_serves_every_metadata_http_function_on_its_methods_and_answers_a_bare_404_to_other_methods()
    {
        await using var host = await HostRoutes.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(host.Url) };
        var wrong = new List<string>();
        // A path may be two functions' (one per method): what a path serves is every method declared on it.
        foreach (var path in Metadata.Where(f => f.HttpTrigger is not null).GroupBy(f => f.Path))
        {
            var declared = path.SelectMany(f => f.Methods).Select(m => m.ToUpperInvariant()).ToHashSet();
            foreach (var method in Methods)
            {
                // Without credentials: a served route answers 401 (the host's or the app's), an unserved one 404 and nothing more.
                using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), Fill(path.Key)));
                var body = await response.Content.ReadAsStringAsync();
                if (declared.Contains(method) && response.StatusCode == HttpStatusCode.NotFound) wrong.Add($"{method} {path.Key} is not served");
                if (!declared.Contains(method) && (response.StatusCode != HttpStatusCode.NotFound || body.Length > 0))
                    wrong.Add($"{method} {path.Key}: {(int)response.StatusCode} '{body}', expected a bare 404");
            }
        }
        Assert.Empty(wrong);
    }

    [Fact]
    public async Task Host_and_app_refuse_every_caller_a_function_does_not_declare()
    {
        // Refusals need no I/O (a missing credential, a server key, an upstream signature), so a host whose Redis and
        // SignalR Service never answer shows which credentials each route demands, and who refuses: the host (bare) on
        // authLevel function routes, the app (problem+json) on the anonymous ones.
        await using var host = await HostRoutes.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(host.Url) };
        var refusals = new List<string>();
        foreach (var function in Metadata.Where(f => f.HttpTrigger is not null && AcceptsOf(f).Count > 0))
        {
            var accepts = AcceptsOf(function);
            var hostKeyed = function.AuthLevel == "Function";
            var expected = new[]
            {
                ("none", 401),
                ("server key", accepts.Contains(Credential.Server) ? 0 : 403),
                ("upstream signature", accepts.Contains(Credential.Upstream) ? 0 : hostKeyed ? 401 : 403),
            };
            foreach (var (credential, status) in expected.Where(e => e.Item2 != 0))
            {
                using var request = new HttpRequestMessage(new HttpMethod(function.Methods[0].ToUpperInvariant()), Fill(function.Path));
                if (credential == "server key") request.Headers.Add(Credentials.ServerKeyHeader, HostRoutes.ServerKey);
                if (credential == "upstream signature")
                {
                    request.Headers.Add(Credentials.ConnectionIdHeader, "c1");
                    request.Headers.Add(Credentials.SignatureHeader, PushFunctions.Security.UpstreamSignature.Compute(HostRoutes.AccessKey, "c1"));
                }
                using var response = await client.SendAsync(request);
                var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json";
                var bareExpected = hostKeyed && status == 401;
                if ((int)response.StatusCode != status || problem == bareExpected)
                    refusals.Add($"{function.Name} with {credential}: {(int)response.StatusCode}{(problem ? " problem+json" : " bare")}, expected {status}{(bareExpected ? " bare" : " problem+json")}");
            }
        }
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
    public void Host_runs_every_metadata_timer_on_its_schedule_as_six_field_NCRONTAB()
    {
        var deployed = Metadata.Where(f => f.TimerTrigger is not null).Select(f => $"{f.Name} '{f.Schedule}'").Order();
        var hosted = HostFunction.ReadMetadataFile(FunctionMetadata.FilePath).Where(f => f.Timer is not null)
            .Select(f => $"{f.Name} '{TimerSchedule.Parse(f.Timer!.Schedule)}'").Order();
        Assert.Equal(deployed, hosted);
    }

    [Fact]
    public void In_process_function_context_keeps_the_HttpContext_where_the_worker_integration_reads_it()
    {
        var http = new DefaultHttpContext();
        var health = HostFunction.ReadMetadataFile(FunctionMetadata.FilePath).Single(f => f.Name == "health");
        var definition = new InProcessFunctionDefinition(health, "PushFunctions.dll");
        using var services = new ServiceCollection().BuildServiceProvider();

        var context = new InProcessFunctionContext("i1", definition, services, http, CancellationToken.None);
        Assert.Same(http, context.GetHttpContext());
        Assert.Same(http, context.Items[InProcessFunctionContext.HttpContextKey]);

        var timer = new InProcessFunctionContext("i2", definition, services, http: null, CancellationToken.None);
        Assert.Null(timer.GetHttpContext());
        timer.Items[InProcessFunctionContext.HttpContextKey] = http;   // the worker's key, set by hand: the extension finds it
        Assert.Same(http, timer.GetHttpContext());
    }

    private static IReadOnlyList<Credential> AcceptsOf(FunctionMetadata function) => Catalog[function.Name].Accepts;
}
