using PushFunctions.Sessions;

namespace PushFunctions.Presence;

public sealed class SessionConnections(PresenceStore store, PresenceService presence) : ISessionConnections
{
    public Task<IReadOnlyDictionary<string, string>> OfUserAsync(string userId) => store.ConnectionsAsync(userId);

    public Task ForgetAsync(string userId, string connectionId) => presence.DisconnectedAsync(userId, connectionId);
}
