using System.Text.RegularExpressions;

namespace Deployment.Tests;

public class FunctionJsonTests
{
    private static readonly IReadOnlyList<FunctionDefinition> Functions = FunctionDefinition.LoadAll();

    private static IEnumerable<(string Method, string Path, string Auth, string Function)> ActualRoutes() =>
        Functions.SelectMany(f => f.Methods.Select(m => (m.ToUpperInvariant(), f.Path, f.AuthLevel, f.Name)));

    [Fact]
    public void Every_function_is_exactly_one_httpTrigger_and_one_http_output_so_the_host_proxies_it()
    {
        // Any extra binding silently switches that function to payload mode (functions-custom-handler.md §2.2).
        var wrong = Functions
            .Where(f => f.Bindings.Count != 2 ||
                        !f.Bindings.Contains(("httpTrigger", "in", "req")) ||
                        !f.Bindings.Contains(("http", "out", "res")))
            .Select(f => f.Name)
            .ToList();
        Assert.Empty(wrong);
    }

    [Fact]
    public void Function_folder_names_are_valid_function_names()
    {
        var bad = Functions.Where(f => !Regex.IsMatch(f.Name, "^[A-Za-z][A-Za-z0-9_-]{0,127}$")).Select(f => f.Name);
        Assert.Empty(bad);
    }

    [Fact]
    public void Routes_are_explicit_relative_and_under_api()
    {
        var bad = Functions
            .Where(f => f.Route.Length == 0 || f.Route.StartsWith('/') || !f.Route.StartsWith("api/", StringComparison.Ordinal)
                        || f.Route.Contains("{*", StringComparison.Ordinal))
            .Select(f => $"{f.Name}: '{f.Route}'");
        Assert.Empty(bad);
    }

    [Fact]
    public void No_route_uses_a_host_reserved_prefix()
    {
        // The host owns /admin/* and /runtime/* (functions-custom-handler.md §7 pitfall 11).
        var bad = Functions.Where(f => Regex.IsMatch(f.Route, "^(admin|runtime)(/|$)", RegexOptions.IgnoreCase)).Select(f => f.Name);
        Assert.Empty(bad);
    }

    [Fact]
    public void Methods_are_listed_lowercase_and_once()
    {
        var bad = Functions
            .Where(f => f.Methods.Count == 0 || f.Methods.Any(m => m != m.ToLowerInvariant()) || f.Methods.Distinct().Count() != f.Methods.Count)
            .Select(f => f.Name);
        Assert.Empty(bad);
    }

    [Fact]
    public void AuthLevel_is_anonymous_or_function()
    {
        var bad = Functions.Where(f => f.AuthLevel is not ("anonymous" or "function")).Select(f => $"{f.Name}: {f.AuthLevel}");
        Assert.Empty(bad);
    }

    [Fact]
    public void Each_route_template_is_owned_by_exactly_one_function()
    {
        var duplicated = Functions.GroupBy(f => f.Route).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.Empty(duplicated);
    }

    [Fact]
    public void No_two_route_templates_can_match_the_same_path()
    {
        // The deployed host does not prefer literal segments over parameters the way ASP.NET Core does
        // (Azure/azure-functions-core-tools#2442), so overlapping templates would be a gamble.
        var routes = Functions.Select(f => f.Route).Distinct().ToList();
        var overlapping = new List<string>();
        for (var i = 0; i < routes.Count; i++)
            for (var j = i + 1; j < routes.Count; j++)
                if (CanOverlap(routes[i], routes[j])) overlapping.Add($"{routes[i]} <> {routes[j]}");
        Assert.Empty(overlapping);
    }

    [Fact]
    public void Function_json_routes_equal_the_expected_route_table()
    {
        var expected = ExpectedRoutes.All
            .Select(r => $"{r.Method} {r.Path} {r.Auth.ToString().ToLowerInvariant()}")
            .ToHashSet();
        var actual = ActualRoutes().Select(r => $"{r.Method} {r.Path} {r.Auth}").ToHashSet();

        Assert.Empty(expected.Except(actual).Order());   // in API.md but not deployed (or wrong authLevel)
        Assert.Empty(actual.Except(expected).Order());   // deployed but not in API.md (or wrong authLevel)
    }

    [Theory]
    [MemberData(nameof(ExpectedRoutes.AllAsData), MemberType = typeof(ExpectedRoutes))]
    public void Expected_route_is_served_by_one_function_with_its_auth_level(string method, string path)
    {
        var route = ExpectedRoutes.All.Single(r => r.Method == method && r.Path == path);
        var matches = ActualRoutes().Where(a => a.Method == method && a.Path == path).ToList();

        var match = Assert.Single(matches);
        Assert.Equal(route.Auth.ToString().ToLowerInvariant(), match.Auth);
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
        var duplicated = ExpectedRoutes.All.GroupBy(r => (r.Method, r.Path)).Where(g => g.Count() > 1).Select(g => g.Key.ToString());
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
