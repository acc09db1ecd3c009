using PushFunctions.Delivery;
using PushFunctions.Presence;
using PushFunctions.Rooms;
using PushFunctions.Sessions;
using PushFunctions.SignalR;

namespace PushFunctions.Accounts;

/// <summary>
/// Deletes a user's account here, in an order that leaves no window: sessions first (no token works, so no
/// reconnect), then the live connections are told and closed, then rooms, streams and cursors go, and everyone
/// gets the new online list. Running it again finds nothing left and does no harm.
/// </summary>
public sealed class AccountService(
    SessionStore sessions,
    PresenceStore presence,
    PresenceService presenceEvents,
    RoomStore rooms,
    StreamStore streams,
    SyncCursors cursors,
    OnlineNotifier notifier,
    ISignalRService signalR,
    ILogger<AccountService> logger)
{
    public async Task<AccountDeleted> DeleteAsync(string userId)
    {
        var sessionsRevoked = await sessions.RevokeAllAsync(userId);

        var connections = await presence.ConnectionsAsync(userId);
        try
        {
            await signalR.SendToUserAsync(userId, SessionRevoker.RedirectEvent, SessionRevoker.RedirectPayload(RedirectReasons.AccountDeleted));
            await signalR.CloseUserConnectionsAsync(userId, RedirectReasons.AccountDeleted);
        }
        catch (SignalRException e)
        {
            // Their sessions are gone, so the connections cannot come back; they end when they next drop.
            logger.LogWarning("Could not close the connections of deleted user {UserId}: {Problem}", userId, e.Message);
        }
        foreach (var connectionId in connections.Keys) await presenceEvents.DisconnectedAsync(userId, connectionId);

        await rooms.RemoveFromAllAsync(userId);
        await TryAsync(() => signalR.RemoveUserFromAllGroupsAsync(userId), userId);
        await streams.DeleteAsync(StreamName.ForUser(userId));
        await cursors.DeleteAsync(userId);

        await notifier.NotifyChangedAsync();
        return new AccountDeleted(sessionsRevoked, connections.Count);
    }

    private async Task TryAsync(Func<Task> action, string userId)
    {
        try
        {
            await action();
        }
        catch (SignalRException e)
        {
            logger.LogWarning("Could not remove deleted user {UserId} from SignalR groups: {Problem}", userId, e.Message);
        }
    }
}
