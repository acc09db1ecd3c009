using System.Text;
using Microsoft.Extensions.Primitives;
using SignalREmulator.Groups;

namespace SignalREmulator.Auth;

/// <summary>Marks the <c>/client</c> endpoints (negotiate and transports) so the middleware knows to guard them.</summary>
public sealed class ClientEndpointMetadata;

/// <summary>
/// Authenticates client negotiate and connect requests: a valid access token for this hub, from
/// <c>Authorization: Bearer</c> or the <c>access_token</c> query (browsers cannot set headers on WebSocket/SSE).
/// </summary>
public sealed class ClientAuthMiddleware(RequestDelegate next, TokenValidator tokens, ServiceEndpoint service, ILogger<ClientAuthMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<ClientEndpointMetadata>() is null || HttpMethods.IsOptions(context.Request.Method))
        {
            await next(context);
            return;
        }

        var request = context.Request;
        var hubValues = request.Query["hub"];
        if (hubValues.Count != 1 || !HubNames.IsValid(hubValues[0]))
        {
            await Reject(context, StatusCodes.Status400BadRequest, "Exactly one valid 'hub' query parameter is required.");
            return;
        }
        var hub = HubNames.Normalize(hubValues[0]!, null);

        var token = ReadToken(request);
        if (token is null)
        {
            await Reject(context, StatusCodes.Status401Unauthorized, "No access token.");
            return;
        }

        // Client tokens are signed with an access key or a temporary one; an Entra token is for REST calls only.
        var (validated, error) = await tokens.ValidateAsync(token, audiences => AudienceMatcher.Matches(audiences, service, request, "/client", hub), entraAudience: null);
        if (validated is null)
        {
            logger.LogInformation("Client request to hub {Hub} rejected: {Reason}", hub, error);
            context.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{error}\"";
            await Reject(context, StatusCodes.Status401Unauthorized, error);
            return;
        }

        context.Items[ClientIdentity.ItemKey] = new ClientIdentity(hub, validated.UserId, validated.Claims, ClientQuery(request.Query));
        await next(context);
    }

    private static string? ReadToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }
        var fromQuery = request.Query["access_token"];
        return StringValues.IsNullOrEmpty(fromQuery) ? null : fromQuery.ToString();
    }

    // The upstream sees the client's query, but not its credential.
    private static string ClientQuery(IQueryCollection query)
    {
        var builder = new StringBuilder();
        foreach (var (key, values) in query)
        {
            if (key == "access_token") continue;
            foreach (var value in values)
            {
                builder.Append(builder.Length == 0 ? '?' : '&')
                    .Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value ?? ""));
            }
        }
        return builder.ToString();
    }

    private static Task Reject(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(message);
    }
}
