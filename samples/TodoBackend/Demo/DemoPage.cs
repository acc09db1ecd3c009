using Microsoft.Extensions.FileProviders;

namespace TodoBackend.Demo;

/// <summary>
/// The demo page: wwwroot as it is (no build step), plus the two scripts it imports from elsewhere in the repo:
/// <c>/vendor/signalr.js</c> (@microsoft/signalr's browser build, from this folder's npm package) and
/// <c>/client/</c> (the PushFunctions browser client, the repo's client/src).
/// Paths: <c>Demo:SignalRScript</c> and <c>Demo:ClientDir</c>, relative to the content root.
/// </summary>
public static class DemoPage
{
    public static WebApplication UseDemoPage(this WebApplication app, IConfiguration configuration)
    {
        var root = app.Environment.ContentRootPath;
        var signalR = Path.GetFullPath(Path.Combine(root,
            configuration["Demo:SignalRScript"] ?? "node_modules/@microsoft/signalr/dist/browser/signalr.js"));
        var clientDir = Path.GetFullPath(Path.Combine(root, configuration["Demo:ClientDir"] ?? "../../client/src"));
        if (!File.Exists(signalR))
            app.Logger.LogWarning("{File} is missing: run `npm ci` in the sample's folder (scripts/ensure-deps.sh does it)", signalR);
        if (!Directory.Exists(clientDir))
            app.Logger.LogWarning("{Dir} is missing: the demo page cannot load the push client", clientDir);

        // The page is a handful of small files: always revalidate, so a reload after an edit shows the edit.
        void NoCache(Microsoft.AspNetCore.StaticFiles.StaticFileResponseContext ctx) =>
            ctx.Context.Response.Headers.CacheControl = "no-cache";

        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = NoCache });
        if (Directory.Exists(clientDir))
        {
            app.UseStaticFiles(new StaticFileOptions
            {
                RequestPath = "/client",
                FileProvider = new PhysicalFileProvider(clientDir),
                OnPrepareResponse = NoCache,
            });
        }
        app.MapGet("/vendor/signalr.js", () => File.Exists(signalR)
            ? Results.File(signalR, "text/javascript")
            : Results.Problem(title: "signalr.js is not installed: run `npm ci` in samples/TodoBackend.", statusCode: 500));
        app.MapGet("/healthz", () => TypedResults.Text("ok"));
        return app;
    }
}
