using SignalREmulator.Rest;

namespace SignalREmulator.Admin;

/// <summary>Test-only routes (docs/CONTRACTS.md): read the counters, inject faults. Anonymous: the emulator binds to loopback.</summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/_emulator");
        admin.MapGet("/stats", (Stats stats) => TypedResults.Json(stats.Snapshot(), EmulatorJson.Default.StatsSnapshot));
        admin.MapDelete("/stats", (Stats stats) =>
        {
            stats.Reset();
            return TypedResults.NoContent();
        });
        admin.MapGet("/faults", (Faults faults) => TypedResults.Json(faults.Current, EmulatorJson.Default.FaultSettings));
        admin.MapPut("/faults", async (HttpContext context, Faults faults) =>
        {
            FaultSettings? settings;
            try
            {
                settings = await context.Request.ReadFromJsonAsync(EmulatorJson.Default.FaultSettings);
            }
            catch (System.Text.Json.JsonException e)
            {
                return ErrorResults.BadRequest("Invalid fault settings: " + e.Message);
            }
            faults.Set(settings ?? new FaultSettings());
            return TypedResults.NoContent();
        });
        admin.MapDelete("/faults", (Faults faults) =>
        {
            faults.Reset();
            return TypedResults.NoContent();
        });
        return app;
    }
}
