using SignalREmulator.Admin;
using SignalREmulator.Auth;

namespace SignalREmulator.Rest;

/// <summary>
/// What every REST call goes through before its handler: counting, fault injection, <c>api-version</c> (per
/// operation), and the bearer token: an access-key JWT (HS256, <c>aud</c> = the request URL, <c>exp</c>) or a
/// Microsoft Entra token for SignalR (<see cref="TokenValidator"/>).
/// </summary>
public sealed class RestPipeline(RequestDelegate next, Stats stats, Faults faults, TokenValidator tokens, ServiceEndpoint service, ILogger<RestPipeline> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var operation = context.GetEndpoint()?.Metadata.GetMetadata<RestOperation>();
        if (operation is null)
        {
            await next(context);
            return;
        }

        stats.CountRest(operation);

        var fault = faults.Current;
        if (fault.RestDown)
        {
            context.Abort(); // the caller sees a reset connection, as when the service is unreachable
            return;
        }
        if (fault.RestStatus is { } status)
        {
            await ErrorResults.WriteAsync(context, status, "Error.FaultInjected", "Fault injected by the emulator.");
            return;
        }

        var request = context.Request;
        var isLegacy = request.Path.StartsWithSegments("/api/v1");
        if (!isLegacy && ApiVersions.Check(request.Query["api-version"].ToString(), operation) is { } versionError)
        {
            await ErrorResults.WriteAsync(context, StatusCodes.Status400BadRequest, "Error.InvalidRequest", versionError);
            return;
        }
        if (!operation.Anonymous)
        {
            var error = await AuthenticateAsync(context, operation);
            if (error is not null)
            {
                logger.LogInformation("REST {Operation} rejected: {Reason}", operation.Name, error);
                context.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{error}\"";
                await ErrorResults.WriteAsync(context, StatusCodes.Status401Unauthorized, "Error.Unauthorized", error);
                return;
            }
        }

        await next(context);
    }

    /// <summary>Null when the bearer token is good for this call: an access-key token for this URL, or an Entra token for SignalR.</summary>
    private async Task<string?> AuthenticateAsync(HttpContext context, RestOperation operation)
    {
        var request = context.Request;
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return "No bearer token.";
        var check = await tokens.ValidateAsync(
            authorization["Bearer ".Length..].Trim(),
            audiences => AudienceMatcher.Matches(audiences, service, request, request.PathBase + request.Path, hub: null),
            TestIssuer.SignalRResource);
        if (check.Token is null) return check.Error;
        // The service hands temporary keys only to Microsoft Entra callers (spec §2.3).
        if (operation.EntraOnly && !check.Token.FromEntra) return "This operation needs a Microsoft Entra token.";
        return null;
    }
}
