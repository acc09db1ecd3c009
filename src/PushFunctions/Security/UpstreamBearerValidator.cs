using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PushFunctions.Configuration;

namespace PushFunctions.Security;

/// <summary>
/// Checks the <c>Authorization: Bearer</c> token SignalR Service sends upstream with managed-identity auth
/// (spec §4.2; docs/DEPLOY.md "Settings the app must implement" 2): an RS256 JWT signed by one of the tenant's
/// Entra keys, issuer <c>https://sts.windows.net/{tenant}/</c> (v1) or <c>https://login.microsoftonline.com/{tenant}/v2.0</c>,
/// <c>aud</c> = SignalRUpstreamAudience, <c>appid</c> (v1) or <c>azp</c> (v2) = SignalRUpstreamClientId, within
/// <c>nbf</c>/<c>exp</c> (5 minutes of clock skew).
/// </summary>
public sealed class UpstreamBearerValidator
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };
    private readonly string audience;
    private readonly string clientId;
    private readonly string[] issuers;
    private readonly IUpstreamSigningKeys keys;
    private readonly TimeProvider time;

    public UpstreamBearerValidator(string audience, string tenantId, string clientId, IUpstreamSigningKeys keys, TimeProvider time)
    {
        this.audience = audience;
        this.clientId = clientId;
        this.keys = keys;
        this.time = time;
        issuers = [$"https://sts.windows.net/{tenantId}/", $"https://login.microsoftonline.com/{tenantId}/v2.0"];
    }

    /// <summary>
    /// The validator the settings call for, or null when SignalRUpstreamAudience is empty (signatures are checked
    /// instead). The settings validation has checked that a tenant and a client id come with an audience.
    /// </summary>
    public static UpstreamBearerValidator? Create(SignalROptions settings, TimeProvider time, HttpMessageHandler? handler = null) =>
        settings is { SignalRUpstreamAudience: { } audience, SignalRUpstreamTenantId: { } tenant, SignalRUpstreamClientId: { } clientId }
            ? new UpstreamBearerValidator(audience, tenant, clientId, new EntraSigningKeys(tenant, time, handler, settings.UpstreamAuthority), time)
            : null;

    /// <summary>Checks an <c>Authorization</c> header value (<c>Bearer &lt;token&gt;</c>).</summary>
    public async Task<UpstreamBearerResult> ValidateAsync(string? authorization, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(authorization))
            return UpstreamBearerResult.Invalid("This upstream request has no 'Authorization: Bearer' Microsoft Entra token (SignalR upstream auth must be ManagedIdentity).");
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return UpstreamBearerResult.Invalid("The upstream Authorization header must be 'Bearer <Microsoft Entra token>'.");
        var token = authorization["Bearer ".Length..].Trim();

        var result = await ValidateTokenAsync(token, refreshKeys: false, cancellationToken);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
            result = await ValidateTokenAsync(token, refreshKeys: true, cancellationToken); // Entra rotated its keys
        if (!result.IsValid) return UpstreamBearerResult.Invalid($"The upstream bearer token is not valid: {Describe(result.Exception)}");

        var app = Claim(result, "appid") ?? Claim(result, "azp");
        if (!string.Equals(app, clientId, StringComparison.OrdinalIgnoreCase))
            return UpstreamBearerResult.Invalid("The upstream bearer token was not issued to SignalR Service's identity (appid/azp).");
        return UpstreamBearerResult.Valid;
    }

    private async Task<TokenValidationResult> ValidateTokenAsync(string token, bool refreshKeys, CancellationToken cancellationToken)
    {
        IReadOnlyList<SecurityKey> signingKeys;
        try
        {
            signingKeys = await keys.GetKeysAsync(refreshKeys, cancellationToken);
        }
        catch (RefreshFailedException e)
        {
            return new TokenValidationResult { IsValid = false, Exception = new SecurityTokenException($"the signing keys are unavailable ({e.Message})", e) };
        }

        return await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidAudience = audience,
            ValidIssuers = issuers,
            IssuerSigningKeys = signingKeys,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            TryAllIssuerSigningKeys = false,
            LifetimeValidator = IsWithinLifetime,
        });
    }

    private bool IsWithinLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return expires is { } exp && now < exp + ClockSkew && (notBefore is not { } nbf || now >= nbf - ClockSkew);
    }

    private static string? Claim(TokenValidationResult result, string name) =>
        result.Claims.TryGetValue(name, out var value) ? value as string : null;

    private static string Describe(Exception? e) => e switch
    {
        SecurityTokenInvalidAudienceException => "wrong audience (aud).",
        SecurityTokenInvalidIssuerException => "wrong issuer (iss): not this tenant's Microsoft Entra ID.",
        SecurityTokenInvalidLifetimeException or SecurityTokenExpiredException or SecurityTokenNotYetValidException => "expired or not yet valid.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the signature does not match the tenant's signing keys.",
        SecurityTokenInvalidAlgorithmException => "it is not signed with RS256.",
        SecurityTokenMalformedException => "it is not a JWT.",
        SecurityTokenException { InnerException: RefreshFailedException } => e.Message,
        null => "unknown reason.",
        _ => e.GetType().Name + ".",
    };
}
