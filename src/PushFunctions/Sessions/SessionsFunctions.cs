using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using PushFunctions.Configuration;
using PushFunctions.Http;
using PushFunctions.Security;
using PushFunctions.SignalR;

namespace PushFunctions.Sessions;

/// <summary>Login by the main backend, negotiate and logout by browsers, session listing and revocation.</summary>
public sealed class SessionsFunctions(
    LoginService logins, SessionStore sessions, SessionRevoker revoker, ISessionConnections connections, ISignalRService signalR,
    IOptions<LimitsOptions> limits, TimeProvider time)
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(24);
    private static readonly TimeSpan MaxClientTokenLifetime = TimeSpan.FromHours(1);
    private const int MaxNameLength = 128;

    [Function("login")]
    [Accepts(Credential.Server)]
    public async Task<Results<Created<LoginResponse>, ProblemHttpResult>> Login(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "login")] HttpRequest request)
    {
        var body = await JsonBody.ReadAsync<LoginRequest>(request);
        if (body.Problem is { } malformed) return malformed;
        if (body.Value is not { } login) return Problems.BadRequest("The body must be JSON: {userId, userName, device?, ttlSeconds?}.");
        if (Problems.InvalidId("userId", login.UserId) is { } invalid) return invalid;
        var userName = login.UserName?.Trim();
        if (string.IsNullOrEmpty(userName) || userName.Length > MaxNameLength || userName.Any(char.IsControl))
            return Problems.BadRequest($"'userName' must be 1 to {MaxNameLength} printable characters.");
        if (login.Device is { } device && (device.Length > MaxNameLength || device.Any(char.IsControl)))
            return Problems.BadRequest($"'device' must be at most {MaxNameLength} printable characters.");
        var maxLifetime = limits.Value.SessionMaxLifetime;
        var lifetime = login.TtlSeconds is { } ttl ? TimeSpan.FromSeconds(ttl) : (DefaultLifetime < maxLifetime ? DefaultLifetime : maxLifetime);
        if (lifetime < LimitsOptions.SessionMinLifetime || lifetime > maxLifetime)
            return Problems.BadRequest($"'ttlSeconds' must be between {LimitsOptions.SessionMinLifetime.TotalSeconds} and {maxLifetime.TotalSeconds} ({SettingNames.SessionMaxTtlSeconds}).");

        var signedIn = await logins.LoginAsync(login.UserId!, userName, login.Device, lifetime);
        return TypedResults.Created($"/api/sessions/{signedIn.SessionId}", signedIn);
    }

    [Function("negotiate")]
    [Accepts(Credential.Session)]
    public async Task<Ok<NegotiateResponse>> Negotiate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "negotiate")] HttpRequest request, FunctionContext context)
    {
        var user = context.GetUser();
        var remaining = user.SessionExpiresAt - time.GetUtcNow();
        var lifetime = remaining < MaxClientTokenLifetime ? remaining : MaxClientTokenLifetime;
        var info = await signalR.GetClientConnectionInfoAsync(user.UserId, [new(Credentials.SessionClaim, user.SessionId)], lifetime);
        return TypedResults.Ok(new NegotiateResponse(info.Url, info.AccessToken));
    }

    [Function("logout")]
    [Accepts(Credential.Session)]
    public async Task<NoContent> Logout(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "logout")] HttpRequest request, FunctionContext context)
    {
        await revoker.RevokeAsync(context.GetUser().SessionId, RedirectReasons.LoggedOut);
        return TypedResults.NoContent();
    }

    [Function("userSessions")]
    [Accepts(Credential.Server)]
    public async Task<Results<Ok<SessionList>, ProblemHttpResult>> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "users/{userId}/sessions")] HttpRequest request, string userId)
    {
        if (Problems.InvalidId("userId", userId) is { } invalid) return invalid;
        var list = await sessions.ListAsync(userId);
        var live = await connections.OfUserAsync(userId);
        return TypedResults.Ok(new SessionList(list
            .Select(s => new SessionInfo(s.Id, s.Device, s.CreatedAt, s.ExpiresAt, live.Values.Count(sid => sid == s.Id)))
            .ToList()));
    }

    [Function("revokeSession")]
    [Accepts(Credential.Server)]
    public async Task<Results<NoContent, ProblemHttpResult>> Revoke(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "sessions/{sessionId}")] HttpRequest request, string sessionId)
    {
        if (sessionId.Length is 0 or > 64 || !sessionId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            return Problems.BadRequest("That is not a session id (from /api/login or /api/users/{userId}/sessions).");
        await revoker.RevokeAsync(sessionId, RedirectReasons.SessionRevoked);
        return TypedResults.NoContent();
    }
}
