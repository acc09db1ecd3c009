using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SignalREmulator.Auth;

/// <summary>The outcome of checking a token: the token, or why it was refused.</summary>
public readonly record struct TokenCheck(ValidatedToken? Token, string Error);

/// <summary>
/// Checks bearer tokens with Microsoft.IdentityModel.JsonWebTokens, choosing the key by the token's header as the
/// service does (spec §2.2–2.3):
/// <list type="bullet">
/// <item>RS256: a Microsoft Entra token, accepted only where <c>entraAudience</c> is given; its <c>kid</c> must name
/// the test issuer's key, and <c>iss</c> must be that issuer.</item>
/// <item>HS256/HS512 whose <c>kid</c> names a live temporary access key: that key only.</item>
/// <item>Otherwise HS256/HS512 with any access key (the SDK's <c>kid</c> for access keys is an arbitrary hash, so it
/// is ignored), unless local auth is disabled.</item>
/// </list>
/// Every token needs <c>exp</c> (no leeway), <c>nbf</c> gets five minutes, and <c>aud</c> must pass the caller's check.
/// </summary>
public sealed class TokenValidator(AccessKeys accessKeys, TemporaryAccessKeys temporaryKeys, TestIssuer issuer, EmulatorOptions options, TimeProvider clock)
{
    private static readonly TimeSpan NotBeforeLeeway = TimeSpan.FromMinutes(5);
    private static readonly string[] HmacAlgorithms = [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.HmacSha512];
    private static readonly string[] RsaAlgorithms = [SecurityAlgorithms.RsaSha256];

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <param name="audienceMatches">Whether the token's <c>aud</c> values fit the request (access-key tokens).</param>
    /// <param name="entraAudience">The <c>aud</c> an Entra token must carry here; null where Entra tokens are not accepted.</param>
    public async Task<TokenCheck> ValidateAsync(string token, Func<IEnumerable<string>, bool> audienceMatches, string? entraAudience)
    {
        JsonWebToken jwt;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return new(null, "The token is malformed.");
        }
        if (!jwt.TryGetPayloadValue<long>("exp", out _)) return new(null, "The token has no exp claim.");

        var parameters = new TokenValidationParameters
        {
            RequireSignedTokens = true,
            ValidateIssuer = false,
            ValidateAudience = true,
            LifetimeValidator = IsWithinLifetime,
        };
        if (jwt.Alg == SecurityAlgorithms.RsaSha256)
        {
            if (entraAudience is null) return new(null, "Microsoft Entra tokens are not accepted here.");
            parameters.ValidAlgorithms = RsaAlgorithms;
            parameters.IssuerSigningKeys = [issuer.Key];
            parameters.TryAllIssuerSigningKeys = false; // the kid must name the key
            parameters.ValidateIssuer = true;
            parameters.ValidIssuer = issuer.Issuer;
            parameters.ValidAudience = entraAudience;
        }
        else
        {
            parameters.ValidAlgorithms = HmacAlgorithms;
            if (temporaryKeys.Find(jwt.Kid) is { } temporary)
            {
                parameters.IssuerSigningKeys = [temporary];
            }
            else if (options.DisableLocalAuth)
            {
                return new(null, "Local auth is disabled: use a Microsoft Entra token, or sign with a temporary access key and name it in kid.");
            }
            else
            {
                // Access keys carry no kid of their own: whatever the token names, try each.
                parameters.IssuerSigningKeyResolver = (_, _, _, _) => accessKeys.SigningKeys;
            }
            parameters.AudienceValidator = (audiences, _, _) => audienceMatches(audiences);
        }

        var result = await _handler.ValidateTokenAsync(jwt, parameters);
        if (!result.IsValid) return new(null, Describe(result.Exception));
        var claims = ((JsonWebToken)result.SecurityToken).Claims.Select(claim => new TokenClaim(claim.Type, claim.Value)).ToList();
        return new(new ValidatedToken(claims, fromEntra: jwt.Alg == SecurityAlgorithms.RsaSha256), "");
    }

    private bool IsWithinLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return expires is { } exp && now < exp && (notBefore is not { } nbf || now >= nbf - NotBeforeLeeway);
    }

    private static string Describe(Exception? e) => e switch
    {
        SecurityTokenInvalidAudienceException => "The audience is invalid.",
        SecurityTokenInvalidIssuerException => "The issuer is invalid.",
        SecurityTokenInvalidLifetimeException or SecurityTokenExpiredException or SecurityTokenNotYetValidException => "The token is expired or not yet valid.",
        SecurityTokenSignatureKeyNotFoundException => "The signature is invalid: no key matches its kid.",
        SecurityTokenInvalidSignatureException => "The signature is invalid.",
        SecurityTokenInvalidAlgorithmException => "The signing algorithm is not accepted.",
        SecurityTokenMalformedException => "The token is malformed.",
        null => "The token is invalid.",
        _ => "The token is invalid (" + e.GetType().Name + ").",
    };
}
