namespace PushFunctions.Security;

/// <summary>
/// The user of a live session, or null when the session is gone (expired, revoked): a session token is accepted
/// only while its session exists. Sessions answers it, so that Sessions depends on Security and not both ways.
/// </summary>
public interface ISessionUsers
{
    Task<PushUser?> FindAsync(string sessionId);
}
