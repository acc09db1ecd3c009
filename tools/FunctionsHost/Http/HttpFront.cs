using FunctionsHost.Functions;
using FunctionsHost.Invocations;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FunctionsHost.Http;

/// <summary>
/// The host's public HTTP endpoint, one for both ways of running the app (its worker process, or in this process):
/// Kestrel with its default limits (32 KiB of request headers: a bare 431) but the host's 100 MB body limit; CORS from
/// the allowed origins (any header, any method, credentials); the function routes under host.json's prefix with their
/// methods (a bare 404 otherwise); the host keys on routes that are not anonymous (a bare 401, before the function is
/// called); every invocation recorded; a failed invocation that wrote nothing answered with a bare 500.
/// </summary>
public static class HttpFront
{
    /// <summary>The reason the host gives for an HTTP invocation in its "Executing" line.</summary>
    public const string HttpReason = "This function was programmatically called via the host APIs.";

    /// <summary>The host's request body limit (ScriptConstants.DefaultMaxRequestBodySize).</summary>
    public const long MaxRequestBodySize = 104_857_600;

    public static WebApplicationBuilder CreateBuilder(string urls, ListenerReservation listeners, IReadOnlyList<string> corsOrigins, ILoggerFactory loggers)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(urls);
        builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = listeners.CreateBoundListenSocket);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodySize);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddHttpForwarder();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, FunctionMethodPolicy>());
        if (corsOrigins.Count > 0)
            builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy => policy.WithOrigins([.. corsOrigins]).AllowAnyHeader().AllowAnyMethod().AllowCredentials()));
        return builder;
    }

    public static void MapFunctions(WebApplication app, IReadOnlyList<FunctionEndpoint> endpoints, HostKeys keys, InvocationRunner runner, bool cors)
    {
        if (cors) app.UseCors();
        foreach (var endpoint in endpoints)
        {
            app.Map(FunctionRoutes.Pattern(endpoint), http => HandleAsync(http, endpoint.Function, keys, runner))
                .WithMetadata(endpoint)
                .WithDisplayName(endpoint.Function.HostName);
        }
    }

    private static async Task HandleAsync(HttpContext http, FunctionInfo function, HostKeys keys, InvocationRunner runner)
    {
        if (!keys.Admits(http.Request, function.Http!.AuthLevel))
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        var result = await runner.RunAsync(function, HttpReason, invocation => runner.Invoker.InvokeHttpAsync(invocation, http), http.RequestAborted);
        if (result.Status != InvocationStatus.Succeeded && !http.Response.HasStarted)
        {
            http.Response.Clear();
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }
    }
}
