using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using PushFunctions.Configuration;
using PushFunctions.Http;
using PushFunctions.Sessions;
using PushFunctions.SignalR;

namespace PushFunctions.Security;

/// <summary>
/// Recognises the caller from whichever credential it presents: a server key, an upstream signature, or a
/// session token. A presented but wrong credential fails (401) rather than being ignored.
/// </summary>
public sealed class PushAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    PushSettings settings,
    SignalRConnectionString connection,
    CredentialChecks checks,
    SessionStore sessions,
    UpstreamBearerValidator? upstreamBearer = null)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private const string UpstreamPath = "/api/signalr";
    private readonly IReadOnlyList<string> upstreamKeys = UpstreamKeys(settings, connection);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (CredentialChecks.ServerKeyOf(Request) is { } serverKey)
        {
            return checks.IsServerKey(serverKey)
                ? Success(Credentials.Server)
                : AuthenticateResult.Fail("The server key is wrong.");
        }

        if (upstreamBearer is not null && Request.Path.StartsWithSegments(UpstreamPath))
        {
            var bearer = await upstreamBearer.ValidateAsync(Request.Headers.Authorization.FirstOrDefault(), Context.RequestAborted);
            return bearer.IsValid ? Success(Credentials.Upstream) : AuthenticateResult.Fail(bearer.Failure!);
        }

        if (Request.Headers.TryGetValue(Credentials.SignatureHeader, out var signature))
        {
            return UpstreamSignature.IsValid(signature, Request.Headers[Credentials.ConnectionIdHeader], upstreamKeys)
                ? Success(Credentials.Upstream)
                : AuthenticateResult.Fail("The X-ASRS-Signature does not match this service's access keys.");
        }

        if (Request.Headers.Authorization.Count == 0) return AuthenticateResult.NoResult();
        if (CredentialChecks.BearerTokenOf(Request) is not { } token)
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <session token>'.");

        var sessionId = checks.SessionIdOf(token);
        var session = sessionId is null ? null : await sessions.GetAsync(sessionId);
        if (session is null) return AuthenticateResult.Fail("The session token is invalid, expired or revoked: sign in again.");

        return Success(Credentials.Session,
            new Claim(Credentials.UserIdClaim, session.UserId),
            new Claim(Credentials.UserNameClaim, session.UserName),
            new Claim(Credentials.SessionIdClaim, session.Id),
            new Claim(Credentials.SessionExpiresClaim, session.ExpiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        await Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized,
            failure ?? "Credentials are missing: send the server key (x-functions-key), a session token (Authorization: Bearer) or a signed upstream request.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, "These credentials may not call this route.");

    private AuthenticateResult Success(string role, params Claim[] claims)
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Role, role), .. claims], Credentials.Scheme, Credentials.UserIdClaim, ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Credentials.Scheme));
    }

    private static IReadOnlyList<string> UpstreamKeys(PushSettings settings, SignalRConnectionString connection) =>
        [.. connection.AccessKey is null ? [] : new[] { connection.AccessKey }, .. settings.UpstreamKeys];
}
