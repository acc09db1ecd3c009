using System.Text.Json;
using PushFunctions.SignalR;

namespace PushFunctions.Sessions;

/// <summary>
/// Ends sessions everywhere at once: the record goes first (the token stops working for negotiate and sync, so
/// no reconnect can succeed), then the session's live connections are told <c>redirect_to_login</c> and closed.
/// </summary>
public sealed class SessionRevoker(SessionStore sessions, ISessionConnections connections, ISignalRService signalR, ILogger<SessionRevoker> logger)
{
    public const string RedirectEvent = "redirect_to_login";

    /// <returns>The number of live connections closed; null when there was no such session.</returns>
    public async Task<int?> RevokeAsync(string sessionId, string reason)
    {
        var session = await sessions.RevokeAsync(sessionId);
        if (session is null) return null;

        var ofUser = await connections.OfUserAsync(session.UserId);
        var ofSession = ofUser.Where(c => c.Value == sessionId).Select(c => c.Key).ToList();
        await Task.WhenAll(ofSession.Select(connectionId => RejectConnectionAsync(session.UserId, connectionId, reason)));
        return ofSession.Count;
    }

    /// <summary>Revokes the user's oldest sessions until at most <paramref name="max"/> are left (reason <c>session_revoked</c>).</summary>
    public async Task RevokeBeyondAsync(string userId, int max)
    {
        var live = await sessions.ListAsync(userId);
        foreach (var oldest in live.Take(live.Count - max))
        {
            logger.LogInformation("User {UserId} is over {Max} sessions; revoking the oldest", userId, max);
            await RevokeAsync(oldest.Id, RedirectReasons.SessionRevoked);
        }
    }

    /// <summary>Tells one connection to go to the login page, closes it, and forgets it.</summary>
    public async Task RejectConnectionAsync(string userId, string connectionId, string reason)
    {
        try
        {
            await signalR.SendToConnectionAsync(connectionId, RedirectEvent, RedirectPayload(reason));
            await signalR.CloseConnectionAsync(connectionId, reason);
        }
        catch (SignalRException e)
        {
            // The session is already dead, so the connection cannot reconnect; it just lingers until it drops.
            logger.LogWarning("Could not close connection of user {UserId} after {Reason}: {Problem}", userId, reason, e.Message);
        }
        await connections.ForgetAsync(userId, connectionId);
    }

    public static byte[] RedirectPayload(string reason) => JsonSerializer.SerializeToUtf8Bytes(new { reason });
}
