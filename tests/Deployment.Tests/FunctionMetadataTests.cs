using System.Text.Json;
using System.Text.RegularExpressions;
using NCrontab;

namespace Deployment.Tests;

/// <summary>The functions.metadata the Worker SDK generates: what the Functions host will route and trigger.</summary>
public class FunctionMetadataTests
{
    private static readonly IReadOnlyList<FunctionMetadata> Functions = FunctionMetadata.LoadAll();
    private static IEnumerable<FunctionMetadata> HttpFunctions => Functions.Where(f => f.HttpTrigger is not null);

    private static IEnumerable<(string Method, string Path, string Auth, string Function)> ActualRoutes() =>
        HttpFunctions.SelectMany(f => f.Methods.Select(m => (m.ToUpperInvariant(), f.Path, f.AuthLevel, f.Name)));

    [Fact]
    public void Every_http_function_is_one_httpTrigger_and_its_return_value_as_the_http_response()
    {
        // The $return http output is what makes the worker's ASP.NET Core integration send the function's IResult.
        var wrong = HttpFunctions
            .Where(f => f.Bindings.Count != 2
                        || !f.Bindings.Any(b => b is { Type: "httpTrigger", Direction: "In", Name: "request" })
                        || !f.Bindings.Any(b => b is { Type: "http", Direction: "Out", Name: "$return" }))
            .Select(f => $"{f.Name}: {string.Join(", ", f.Bindings.Select(b => $"{b.Type} {b.Direction} {b.Name}"))}")
            .ToList();
        Assert.Empty(wrong);
    }

    [Fact]
    public void Every_function_is_an_http_or_a_timer_function_of_the_app_assembly()
    {
        var wrong = Functions
            .Where(f => (f.HttpTrigger is null) == (f.TimerTrigger is null)
                        || f.ScriptFile != "PushFunctions.dll" || f.Language != "dotnet-isolated"
                        || !f.EntryPoint.StartsWith("PushFunctions.", StringComparison.Ordinal))
            .Select(f => $"{f.Name}: {f.EntryPoint} in {f.ScriptFile} ({f.Language})");
        Assert.Empty(wrong);
    }

    [Fact]
    public void Function_names_are_valid_function_names()
    {
        var bad = Functions.Where(f => !Regex.IsMatch(f.Name, "^[A-Za-z][A-Za-z0-9_-]{0,127}$")).Select(f => f.Name);
        Assert.Empty(bad);
    }

    [Fact]
    public void Function_names_are_unique_ignoring_case()
    {
        // The host keys functions (and their function keys) by name without regard to case.
        var duplicated = Functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.Empty(duplicated);
    }

    [Fact]
    public void Routes_are_explicit_relative_and_leave_the_api_prefix_to_host_json()
    {
        var bad = HttpFunctions
            .Where(f => f.Route.Length == 0 || f.Route.StartsWith('/') || f.Route.StartsWith("api/", StringComparison.OrdinalIgnoreCase)
                        || f.Route.Contains("{*", StringComparison.Ordinal))
            .Select(f => $"{f.Name}: '{f.Route}'");
        Assert.Empty(bad);
        Assert.All(HttpFunctions, f => Assert.StartsWith("/api/", f.Path));
    }

    [Fact]
    public void No_route_uses_a_host_reserved_prefix()
    {
        // The host owns /admin/* and /runtime/*.
        var bad = HttpFunctions.Where(f => Regex.IsMatch(f.Path, "^/(admin|runtime)(/|$)", RegexOptions.IgnoreCase)).Select(f => f.Name);
        Assert.Empty(bad);
    }

    [Fact]
    public void Methods_are_listed_lowercase_and_once()
    {
        var bad = HttpFunctions
            .Where(f => f.Methods.Count == 0 || f.Methods.Any(m => m != m.ToLowerInvariant()) || f.Methods.Distinct().Count() != f.Methods.Count)
            .Select(f => f.Name);
        Assert.Empty(bad);
    }

    [Fact]
    public void AuthLevel_is_anonymous_or_function()
    {
        var bad = HttpFunctions.Where(f => f.AuthLevel is not ("Anonymous" or "Function")).Select(f => $"{f.Name}: {f.AuthLevel}");
        Assert.Empty(bad);
    }

    [Fact]
    public void Each_method_and_route_is_owned_by_exactly_one_function()
    {
        // One function per (method, route): PUT and DELETE of a room member are two functions on one route.
        var duplicated = ActualRoutes().GroupBy(r => (r.Method, r.Path)).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key.Method} {g.Key.Path}: {string.Join(", ", g.Select(r => r.Function))}");
        Assert.Empty(duplicated);
    }

    [Fact]
    public void No_two_functions_can_match_the_same_method_and_path()
    {
        // The deployed host does not prefer literal segments over parameters the way ASP.NET Core does
        // (Azure/azure-functions-core-tools#2442), so overlapping templates on one method would be a gamble.
        var routes = ActualRoutes().ToList();
        var overlapping = new List<string>();
        for (var i = 0; i < routes.Count; i++)
            for (var j = i + 1; j < routes.Count; j++)
                if (routes[i].Method == routes[j].Method && CanOverlap(routes[i].Path, routes[j].Path))
                    overlapping.Add($"{routes[i].Method} {routes[i].Path} <> {routes[j].Path}");
        Assert.Empty(overlapping);
    }

    [Fact]
    public void Metadata_routes_equal_the_expected_route_table()
    {
        var expected = ExpectedRoutes.All.Select(r => $"{r.Function}: {r.Method} {r.Path} {r.Auth}").ToHashSet();
        var actual = ActualRoutes().Select(r => $"{r.Function}: {r.Method} {r.Path} {r.Auth}").ToHashSet();

        Assert.Empty(expected.Except(actual).Order());   // in API.md but not deployed (or another name or authLevel)
        Assert.Empty(actual.Except(expected).Order());   // deployed but not in API.md (or another name or authLevel)
    }

    [Theory]
    [MemberData(nameof(ExpectedRoutes.AllAsData), MemberType = typeof(ExpectedRoutes))]
    public void Expected_route_is_served_by_one_function_with_its_auth_level(string method, string path)
    {
        var route = ExpectedRoutes.All.Single(r => r.Method == method && r.Path == path);
        var matches = ActualRoutes().Where(a => a.Method == method && a.Path == path).ToList();

        var match = Assert.Single(matches);
        Assert.Equal(route.Function, match.Function);
        Assert.Equal(route.Auth.ToString(), match.Auth);
    }

    [Fact]
    public void Timer_functions_equal_the_expected_timers()
    {
        var expected = ExpectedRoutes.Timers.Select(t => $"{t.Function} '{t.Schedule}'").Order();
        var actual = Functions.Where(f => f.TimerTrigger is not null).Select(f => $"{f.Name} '{f.Schedule}'").Order();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void At_most_one_function_is_not_an_http_function()
    {
        // Flex Consumption scales HTTP functions together and every other trigger in a group of its own: each
        // further timer would be one more group of instances kept up around the clock.
        var others = Functions.Where(f => f.HttpTrigger is null).Select(f => f.Name).ToList();
        Assert.True(others.Count <= 1, $"functions outside the HTTP scale group: {string.Join(", ", others)}");
    }

    [Theory]
    [MemberData(nameof(ExpectedRoutes.TimersAsData), MemberType = typeof(ExpectedRoutes))]
    public void Timer_is_one_timerTrigger_on_a_six_field_schedule_that_does_not_run_on_startup(string name)
    {
        var function = Assert.Single(Functions, f => f.Name == name);
        var trigger = Assert.Single(function.Bindings);
        Assert.Equal(("timerTrigger", "In"), (trigger.Type, trigger.Direction));
        // Seconds first, as the host reads NCRONTAB; every instance start would otherwise fire it at once.
        Assert.NotNull(CrontabSchedule.TryParse(function.Schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }));
        Assert.False(trigger.Json.TryGetProperty("runOnStartup", out var onStartup) && onStartup.ValueKind == JsonValueKind.True);
    }

    [Fact]
    public void Routes_called_by_browsers_or_SignalR_are_anonymous_at_the_host()
    {
        // A browser never holds a function key; SignalR Service authenticates with its own token.
        var bad = ExpectedRoutes.All.Where(r => r.Caller != Caller.Server && r.Auth != HostAuth.Anonymous);
        Assert.Empty(bad);
    }

    [Fact]
    public void Routes_only_the_main_backend_calls_require_a_key_at_the_host()
    {
        var bad = ExpectedRoutes.All.Where(r => r.Caller == Caller.Server && r.Auth != HostAuth.Function);
        Assert.Empty(bad);
    }

    [Fact]
    public void Expected_table_has_no_duplicates()
    {
        var duplicated = ExpectedRoutes.All.GroupBy(r => (r.Method, r.Path)).Where(g => g.Count() > 1).Select(g => g.Key.ToString())
            .Concat(ExpectedRoutes.All.Select(r => r.Function).Concat(ExpectedRoutes.Timers.Select(t => t.Function))
                .GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.Empty(duplicated);
    }

    private static bool CanOverlap(string a, string b)
    {
        var x = a.Split('/');
        var y = b.Split('/');
        if (x.Length != y.Length) return false;
        for (var i = 0; i < x.Length; i++)
        {
            var xParam = x[i].StartsWith('{');
            var yParam = y[i].StartsWith('{');
            if (!xParam && !yParam && !string.Equals(x[i], y[i], StringComparison.OrdinalIgnoreCase)) return false;
        }
        return true;
    }
}
