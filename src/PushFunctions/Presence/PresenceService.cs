using PushFunctions.Rooms;
using PushFunctions.Sessions;

namespace PushFunctions.Presence;

/// <summary>
/// Turns connection events into presence. Online = at least one live connection; a user's first connection and
/// last disconnection change the online list (and their rooms' online counts) and schedule an online push.
/// </summary>
public sealed class PresenceService(PresenceStore store, RoomStore rooms, RoomService roomGroups, OnlineNotifier notifier, TimeProvider time, ILogger<PresenceService> logger)
{
    /// <summary>About two minutes of retries in all.</summary>
    private static readonly TimeSpan[] RestoreRetryDelays = [.. new[] { 1, 2, 4, 8, 15, 30, 30, 30 }.Select(s => TimeSpan.FromSeconds(s))];

    public async Task ConnectedAsync(Session session, string connectionId)
    {
        if (await store.ConnectAsync(session.UserId, session.UserName, connectionId, session.Id))
            await BecameAsync(session.UserId, online: true);
        if (!await TryRestoreGroupsAsync(session.UserId, attempt: 0))
            _ = RetryRestoreGroupsAsync(session.UserId);
    }

    /// <summary>
    /// Until the groups are back, live room messages miss this user and nothing shows them a gap, so keep trying
    /// (the service is often just restarting) rather than wait for their next reconnect.
    /// </summary>
    private async Task RetryRestoreGroupsAsync(string userId)
    {
        for (var attempt = 1; attempt <= RestoreRetryDelays.Length; attempt++)
        {
            await Task.Delay(RestoreRetryDelays[attempt - 1], time);
            if (await TryRestoreGroupsAsync(userId, attempt)) return;
        }
        logger.LogError("Gave up restoring the room groups of user {UserId}; their room messages arrive by sync on their next reconnect", userId);
    }

    private async Task<bool> TryRestoreGroupsAsync(string userId, int attempt)
    {
        try
        {
            await roomGroups.RestoreGroupsAsync(userId);
            return true;
        }
        catch (Exception e) when (e is SignalR.SignalRException or StackExchange.Redis.RedisException)
        {
            logger.LogWarning("Could not restore the room groups of user {UserId} (attempt {Attempt}); retrying. {Problem}", userId, attempt + 1, e.Message);
            return false;
        }
    }

    public async Task DisconnectedAsync(string userId, string connectionId)
    {
        if (await store.DisconnectAsync(userId, connectionId))
            await BecameAsync(userId, online: false);
    }

    private async Task BecameAsync(string userId, bool online)
    {
        await rooms.SetOnlineAsync(userId, online);
        notifier.NotifyChanged();
    }
}
