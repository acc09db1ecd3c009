namespace PushFunctions.Sessions;

/// <summary>
/// The live connections of a user's sessions, as presence knows them: what revoking a session needs to reach its
/// clients. Presence implements it, so that Presence depends on Sessions and not both ways.
/// </summary>
public interface ISessionConnections
{
    /// <summary>The user's live connections and the session each belongs to.</summary>
    Task<IReadOnlyDictionary<string, string>> OfUserAsync(string userId);

    /// <summary>Forgets a connection the app closed: the service's disconnected event for it may never come.</summary>
    Task ForgetAsync(string userId, string connectionId);
}
