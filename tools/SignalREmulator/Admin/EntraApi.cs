using SignalREmulator.Auth;
using SignalREmulator.Rest;

namespace SignalREmulator.Admin;

/// <summary>
/// The local Microsoft Entra stand-in, for running the app's Azure auth path end to end (anonymous, loopback):
/// <list type="bullet">
/// <item><c>GET /_emulator/identity?resource=&amp;api-version=2019-08-01[&amp;client_id=]</c>: a managed-identity endpoint
/// in the App Service protocol that Azure.Identity speaks when <c>IDENTITY_ENDPOINT</c> and <c>IDENTITY_HEADER</c> are
/// set; the <c>X-IDENTITY-HEADER</c> must be the configured secret.</item>
/// <item><c>GET /_emulator/entra/{tenant}/discovery/v2.0/keys</c>: the test issuer's JWKS, where a validator finds it
/// with the authority <c>{url}/_emulator/entra</c> (the app's <c>SignalRUpstreamAuthority</c>).</item>
/// </list>
/// </summary>
public static class EntraApi
{
    public const string IdentityPath = "/_emulator/identity";
    public const string AuthorityPath = "/_emulator/entra";
    private const string IdentityApiVersion = "2019-08-01";

    public static IEndpointRouteBuilder MapEntraApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(IdentityPath, (HttpContext context, EmulatorOptions options, TestIssuer issuer) =>
        {
            if (options.IdentityHeader is null) return ErrorResults.Status(StatusCodes.Status404NotFound, "Error.NotFound", "Start the emulator with --identity-header to serve managed-identity tokens.");
            var query = context.Request.Query;
            if (context.Request.Headers["X-IDENTITY-HEADER"] != options.IdentityHeader)
                return ErrorResults.Status(StatusCodes.Status401Unauthorized, "Error.Unauthorized", "The X-IDENTITY-HEADER is missing or wrong.");
            if (query["api-version"] != IdentityApiVersion)
                return ErrorResults.BadRequest($"api-version must be {IdentityApiVersion}.");
            var resource = query["resource"].ToString();
            if (resource.Length == 0) return ErrorResults.BadRequest("The resource query parameter is required.");
            var clientId = query["client_id"].ToString();
            if (clientId.Length == 0) clientId = TestIssuer.SystemAssignedClientId;

            var (token, expires) = issuer.CreateToken(resource, clientId);
            return TypedResults.Json(
                new ManagedIdentityToken(token, expires.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), resource, "Bearer", clientId),
                EmulatorJson.Default.ManagedIdentityToken);
        });

        app.MapGet(AuthorityPath + "/{tenant}/discovery/v2.0/keys", (string tenant, TestIssuer issuer) =>
            string.Equals(tenant, issuer.TenantId, StringComparison.OrdinalIgnoreCase)
                ? Results.Bytes(issuer.KeySetJson(), "application/json")
                : ErrorResults.BadRequest($"Tenant '{tenant}' not found."));
        return app;
    }
}
