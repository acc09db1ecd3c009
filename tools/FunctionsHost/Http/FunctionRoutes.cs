using FunctionsHost.Functions;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.AspNetCore.Routing.Patterns;

namespace FunctionsHost.Http;

/// <summary>An endpoint that runs a function: what <see cref="FunctionMethodPolicy"/> and the tests read.</summary>
public sealed record FunctionEndpoint(FunctionInfo Function, string Template);

/// <summary>
/// The host's routes: each HTTP function at <c>{routePrefix}/{route}</c>, constrained to the methods its trigger
/// declares. As in the host (an HTTP-method route constraint), a method the function does not declare makes the route
/// not match at all, so the answer is a bare 404, never 405.
/// </summary>
public static class FunctionRoutes
{
    public static IReadOnlyList<FunctionEndpoint> Of(IEnumerable<FunctionInfo> functions, string routePrefix) =>
        functions.Where(f => f.Http is not null)
            .Select(f => new FunctionEndpoint(f, string.Join('/', new[] { routePrefix, f.Route! }.Where(s => s.Length > 0))))
            .ToList();

    /// <summary>The host's start-up log of one route.</summary>
    public static string Describe(FunctionEndpoint endpoint)
    {
        var methods = endpoint.Function.Http!.Methods is { Count: > 0 } declared ? string.Join(',', declared).ToLowerInvariant() : "all";
        return $"Mapped function route '{endpoint.Template}' [{methods}] to '{endpoint.Function.Name}'";
    }

    public static RoutePattern Pattern(FunctionEndpoint endpoint) => RoutePatternFactory.Parse(endpoint.Template);
}

/// <summary>Drops the function endpoints whose trigger does not declare the request's method (see <see cref="FunctionRoutes"/>).</summary>
public sealed class FunctionMethodPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<FunctionEndpoint>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var method = httpContext.Request.Method;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates[i].Endpoint?.Metadata.GetMetadata<FunctionEndpoint>()?.Function.Http is { Methods.Count: > 0 } trigger
                && !trigger.Methods.Contains(method, StringComparer.OrdinalIgnoreCase))
                candidates.SetValidity(i, false);
        }
        return Task.CompletedTask;
    }
}
