using PushFunctions.Observability;
using PushFunctions.Rooms;
using PushFunctions.Sessions;

namespace PushFunctions.Presence;

/// <summary>
/// Turns connection events into presence. Online = at least one live connection; a user's first connection and
/// last disconnection change the online list (and their rooms' online counts) and schedule an online push.
/// </summary>
public sealed class PresenceService(PresenceStore store, ConnectionOwners owners, RoomStore rooms, RoomService roomGroups, OnlineNotifier notifier, PushTelemetry telemetry)
{
    /// <summary>Records the connection; when it was recorded already (its other arrival came first) only its lease is renewed.</summary>
    public async Task ConnectedAsync(Session session, string connectionId)
    {
        var connected = await store.ConnectAsync(session.UserId, session.UserName, connectionId, session.Id);
        if (!connected.IsNewConnection) return;
        telemetry.Connected();
        if (connected.MadeUserOnline) await BecameAsync(session.UserId, online: true);
        await roomGroups.EnsureGroupsInStepAsync(session.UserId);
    }

    public async Task DisconnectedAsync(string userId, string connectionId)
    {
        telemetry.Disconnected();
        if (await store.DisconnectAsync(userId, connectionId))
            await BecameAsync(userId, online: false);
        await owners.ForgetAsync(connectionId);
    }

    private async Task BecameAsync(string userId, bool online)
    {
        await rooms.SetOnlineAsync(userId, online);
        await notifier.NotifyChangedAsync();
    }
}
