using Microsoft.Extensions.Options;
using PushFunctions.Configuration;

namespace PushFunctions.Security;

/// <summary>
/// Recognises the caller from whichever credential it presents: a server key, an upstream signature (or
/// Entra bearer token, for functions that accept SignalR Service), or a session token. A presented but wrong
/// credential fails rather than being ignored.
/// </summary>
public sealed class Authenticator(
    UpstreamKeys upstreamKeys,
    CredentialChecks checks,
    ISessionUsers sessions,
    IOptions<SignalROptions> signalR,
    TimeProvider time)
{
    /// <summary>With local auth disabled the service signs upstream calls with an Entra token instead of X-ASRS-Signature.</summary>
    private readonly UpstreamBearerValidator? upstreamBearer = UpstreamBearerValidator.Create(signalR.Value, time);

    public async Task<Authentication> AuthenticateAsync(HttpRequest request, bool acceptsUpstream, CancellationToken cancellationToken)
    {
        if (CredentialChecks.ServerKeyOf(request) is { } serverKey)
            return checks.IsServerKey(serverKey) ? Authentication.Of(Caller.Server) : Authentication.Failed("The server key is wrong.");

        if (upstreamBearer is not null && acceptsUpstream)
        {
            var bearer = await upstreamBearer.ValidateAsync(request.Headers.Authorization.FirstOrDefault(), cancellationToken);
            return bearer.IsValid ? Authentication.Of(Caller.Upstream) : Authentication.Failed(bearer.Failure!);
        }

        if (request.Headers.TryGetValue(Credentials.SignatureHeader, out var signature))
        {
            return UpstreamSignature.IsValid(signature, request.Headers[Credentials.ConnectionIdHeader], upstreamKeys.Keys)
                ? Authentication.Of(Caller.Upstream)
                : Authentication.Failed("The X-ASRS-Signature does not match this service's access keys.");
        }

        if (request.Headers.Authorization.Count == 0) return Authentication.None;
        if (CredentialChecks.BearerTokenOf(request) is not { } token)
            return Authentication.Failed("The Authorization header must be 'Bearer <session token>'.");

        var sessionId = checks.SessionIdOf(token);
        var user = sessionId is null ? null : await sessions.FindAsync(sessionId);
        if (user is null) return Authentication.Failed("The session token is invalid, expired or revoked: sign in again.");
        return Authentication.Of(new Caller(Credential.Session, user));
    }
}
