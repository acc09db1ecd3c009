using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using PushFunctions;
using PushFunctions.Configuration;
using PushFunctions.Http;

namespace FunctionsDevHost;

/// <summary>
/// Runs PushFunctions' functions without the Azure Functions host (README.md in this folder says what it
/// imitates): each <c>[HttpTrigger]</c> is mapped under host.json's route prefix with its methods, each
/// <c>[TimerTrigger]</c> fires on its schedule, and every invocation goes through the app's own worker middleware.
/// </summary>
public static class DevHost
{
    /// <summary>
    /// The browser origins allowed to call the app (comma-separated, with credentials): the development host's stand-in
    /// for the platform's CORS (<c>siteConfig.cors</c> in Azure, <c>Host.CORS</c> in local.settings.json for
    /// <c>func start</c>), which answers preflights before the app sees them. Not a setting of the app.
    /// </summary>
    public const string CorsAllowedOrigins = "CorsAllowedOrigins";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Configuration.AddLocalSettings(Directory.GetCurrentDirectory());
        configure?.Invoke(builder);
        // One line per entry: what Application Insights and `grep` both want.
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestHeadersTotalSize = 2 * RequestSizeMiddleware.MaxHeaderBytes);

        var worker = new DevWorkerBuilder(builder.Services);
        worker.AddPushFunctions(builder.Configuration);
        var origins = Setting.List(builder.Configuration[CorsAllowedOrigins]).ToArray();
        if (origins.Length > 0)
            builder.Services.AddCors(o => o.AddDefaultPolicy(p => p.WithOrigins(origins).AllowAnyHeader().AllowAnyMethod()
                // @microsoft/signalr negotiates with credentials by default; allowed origins are explicit, so this is safe.
                .AllowCredentials()));

        var functions = new FunctionCatalog(typeof(PushApp).Assembly).All.Select(f => new FunctionInvoker(f)).ToList();
        FunctionExecutionDelegate? pipeline = null;
        FunctionExecutionDelegate Pipeline(FunctionInvoker function) => context =>
            (pipeline ??= worker.Build(c => ((FunctionInvoker)c.Items[InvokerKey]).InvokeAsync(c)))(context);
        foreach (var timer in functions.Where(f => f.Timer is not null))
            builder.Services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<TimerRunner>(sp, timer, (Func<FunctionExecutionDelegate>)(() => WithInvoker(Pipeline(timer), timer))));

        var app = builder.Build();
        app.UseStatusCodePages(ExplainStatusAsync);
        if (origins.Length > 0) app.UseCors();
        var prefix = RoutePrefix();
        foreach (var function in functions.Where(f => f.Http is not null))
        {
            var run = WithInvoker(Pipeline(function), function);
            var route = string.Join('/', new[] { prefix, function.Http!.Route ?? function.Definition.Name }.Where(s => s.Length > 0));
            app.MapMethods("/" + route, function.Http.Methods!.Select(m => m.ToUpperInvariant()), async http =>
            {
                var context = new DevFunctionContext(function.Definition, http.RequestServices, http, http.RequestAborted);
                await run(context);
                await FunctionInvoker.ExecuteResultAsync(context, http);
            }).WithMetadata(function.Definition); // which function an endpoint runs: its name is the front door's key to [Accepts]
        }
        return app;
    }

    private const string InvokerKey = "FunctionsDevHost.Invoker";

    private static FunctionExecutionDelegate WithInvoker(FunctionExecutionDelegate pipeline, FunctionInvoker function) => context =>
    {
        context.Items[InvokerKey] = function;
        return pipeline(context);
    };

    /// <summary>host.json's <c>extensions.http.routePrefix</c> (the build copies host.json beside the app); "api" by default, as in the host.</summary>
    private static string RoutePrefix()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "host.json");
        if (!File.Exists(path)) return "api";
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return document.RootElement.TryGetProperty("extensions", out var extensions)
               && extensions.TryGetProperty("http", out var http)
               && http.TryGetProperty("routePrefix", out var prefix)
            ? prefix.GetString()!.Trim('/')
            : "api";
    }

    /// <summary>Answers for paths and methods no function serves, as problem+json that says where the routes are.</summary>
    private static Task ExplainStatusAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var title = http.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => "No such route: the routes are under /api (see docs/API.md).",
            StatusCodes.Status405MethodNotAllowed => $"{http.Request.Method} is not allowed on this route (see docs/API.md).",
            _ => null,
        };
        return title is null
            ? Task.CompletedTask
            : TypedResults.Problem(new ProblemDetails { Status = http.Response.StatusCode, Title = title }).ExecuteAsync(http);
    }
}
