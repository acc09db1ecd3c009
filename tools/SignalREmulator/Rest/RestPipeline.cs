using SignalREmulator.Admin;
using SignalREmulator.Auth;

namespace SignalREmulator.Rest;

/// <summary>
/// What every REST call goes through before its handler: counting, fault injection, <c>api-version</c>,
/// and the access-key JWT (HS256, <c>aud</c> = the request URL, <c>exp</c>).
/// </summary>
public sealed class RestPipeline(RequestDelegate next, Stats stats, Faults faults, AccessKeys keys, TimeProvider clock, ILogger<RestPipeline> logger)
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

        if (!operation.Anonymous)
        {
            var request = context.Request;
            var isLegacy = request.Path.StartsWithSegments("/api/v1");
            if (!isLegacy && string.IsNullOrEmpty(request.Query["api-version"]))
            {
                await ErrorResults.WriteAsync(context, StatusCodes.Status400BadRequest, "Error.InvalidRequest", "The api-version query parameter is required.");
                return;
            }
            if (!Authenticate(request, out var error))
            {
                logger.LogInformation("REST {Operation} rejected: {Reason}", operation.Name, error);
                context.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{error}\"";
                await ErrorResults.WriteAsync(context, StatusCodes.Status401Unauthorized, "Error.Unauthorized", error);
                return;
            }
        }

        await next(context);
    }

    private bool Authenticate(HttpRequest request, out string error)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            error = "No bearer token.";
            return false;
        }
        var token = Hs256Jwt.Validate(authorization["Bearer ".Length..].Trim(), keys.Bytes, clock.GetUtcNow(), out error);
        if (token is null) return false;
        if (!AudienceMatcher.Matches(token.Audiences, request, request.PathBase + request.Path, hub: null))
        {
            error = "The audience is invalid.";
            return false;
        }
        return true;
    }
}
