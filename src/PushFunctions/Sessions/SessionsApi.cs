using Microsoft.AspNetCore.Http.HttpResults;
using PushFunctions.Delivery;
using PushFunctions.Http;
using PushFunctions.Presence;
using PushFunctions.Security;
using PushFunctions.SignalR;

namespace PushFunctions.Sessions;

public sealed record LoginRequest(string? UserId, string? UserName, string? Device, int? TtlSeconds);
public sealed record LoginResponse(string SessionId, string SessionToken, string UserId, DateTimeOffset ExpiresAt);
public sealed record NegotiateResponse(string Url, string AccessToken);
public sealed record SessionInfo(string SessionId, string? Device, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, int Connections);
public sealed record SessionList(IReadOnlyList<SessionInfo> Sessions);

/// <summary>Login by the main backend, negotiate and logout by browsers, session listing and revocation.</summary>
public static class SessionsApi
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(24);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(30);
    public static readonly TimeSpan MinLifetime = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxClientTokenLifetime = TimeSpan.FromHours(1);
    private const int MaxNameLength = 128;

    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder app)
    {
        var server = app.MapGroup("/api").RequireAuthorization(Credentials.Server);
        server.MapPost("/login", Login);
        server.MapGet("/users/{userId}/sessions", List);
        server.MapDelete("/sessions/{sessionId}", Revoke);

        var browser = app.MapGroup("/api").RequireAuthorization(Credentials.Session);
        browser.MapPost("/negotiate", Negotiate);
        browser.MapPost("/logout", Logout);
        return app;
    }

    private static async Task<Results<Created<LoginResponse>, ProblemHttpResult>> Login(
        LoginRequest? request, SessionStore sessions, SessionTokens tokens, StreamStore streams, SyncCursors cursors)
    {
        if (request is null) return Problems.BadRequest("The body must be JSON: {userId, userName, device?, ttlSeconds?}.");
        if (Problems.InvalidId("userId", request.UserId) is { } invalid) return invalid;
        var userName = request.UserName?.Trim();
        if (string.IsNullOrEmpty(userName) || userName.Length > MaxNameLength || userName.Any(char.IsControl))
            return Problems.BadRequest($"'userName' must be 1 to {MaxNameLength} printable characters.");
        if (request.Device is { } device && (device.Length > MaxNameLength || device.Any(char.IsControl)))
            return Problems.BadRequest($"'device' must be at most {MaxNameLength} printable characters.");
        var lifetime = request.TtlSeconds is { } ttl ? TimeSpan.FromSeconds(ttl) : DefaultLifetime;
        if (lifetime < MinLifetime || lifetime > MaxLifetime)
            return Problems.BadRequest($"'ttlSeconds' must be between {MinLifetime.TotalSeconds} and {MaxLifetime.TotalSeconds}.");

        var userId = request.UserId!;
        // A new user's broadcast history starts now: they are not flooded with what was sent before they existed.
        await cursors.StartAtAsync(userId, StreamName.Broadcast, await streams.LatestSeqAsync(StreamName.Broadcast));
        var session = await sessions.CreateAsync(userId, userName, request.Device, lifetime);
        return TypedResults.Created($"/api/sessions/{session.Id}",
            new LoginResponse(session.Id, tokens.Create(session.Id, session.ExpiresAt), userId, session.ExpiresAt));
    }

    private static async Task<Ok<NegotiateResponse>> Negotiate(PushUser user, ISignalRService signalR, TimeProvider time)
    {
        var remaining = user.SessionExpiresAt - time.GetUtcNow();
        var lifetime = remaining < MaxClientTokenLifetime ? remaining : MaxClientTokenLifetime;
        var info = await signalR.GetClientConnectionInfoAsync(user.UserId, [new(UpstreamApi.SessionClaim, user.SessionId)], lifetime);
        return TypedResults.Ok(new NegotiateResponse(info.Url, info.AccessToken));
    }

    private static async Task<NoContent> Logout(PushUser user, SessionRevoker revoker)
    {
        await revoker.RevokeAsync(user.SessionId, RedirectReasons.LoggedOut);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<SessionList>, ProblemHttpResult>> List(string userId, SessionStore sessions, PresenceStore presence)
    {
        if (Problems.InvalidId("userId", userId) is { } invalid) return invalid;
        var list = await sessions.ListAsync(userId);
        var connections = await presence.ConnectionsAsync(userId);
        return TypedResults.Ok(new SessionList(list
            .Select(s => new SessionInfo(s.Id, s.Device, s.CreatedAt, s.ExpiresAt, connections.Values.Count(sid => sid == s.Id)))
            .ToList()));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(string sessionId, SessionRevoker revoker)
    {
        if (sessionId.Length is 0 or > 64 || !sessionId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            return Problems.BadRequest("That is not a session id (from /api/login or /api/users/{userId}/sessions).");
        await revoker.RevokeAsync(sessionId, RedirectReasons.SessionRevoked);
        return TypedResults.NoContent();
    }
}
