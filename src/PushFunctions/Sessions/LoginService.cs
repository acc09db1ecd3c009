using Microsoft.Extensions.Options;
using PushFunctions.Configuration;
using PushFunctions.Delivery;
using PushFunctions.Security;

namespace PushFunctions.Sessions;

/// <summary>
/// Signs a user in: a new session and its token. A new user's broadcast history starts now (they are not flooded with
/// what was sent before they existed), their server-side cursors live as long as their sessions and what their stream
/// keeps, and past the cap the oldest sessions go (their tabs are sent to the login page), so logins never fail for it.
/// </summary>
public sealed class LoginService(
    SessionStore sessions, SessionTokens tokens, SessionRevoker revoker, StreamStore streams, SyncCursors cursors,
    IOptions<LimitsOptions> limits, IOptions<RetentionOptions> retention)
{
    public async Task<LoginResponse> LoginAsync(string userId, string userName, string? device, TimeSpan lifetime)
    {
        await cursors.StartAtAsync(userId, StreamName.Broadcast, await streams.LatestSeqAsync(StreamName.Broadcast));
        var session = await sessions.CreateAsync(userId, userName, device, lifetime);
        await cursors.KeepUntilAsync(userId, session.ExpiresAt + retention.Value.User.MaxAge);
        await revoker.RevokeBeyondAsync(userId, limits.Value.SessionsPerUser);
        return new LoginResponse(session.Id, tokens.Create(session.Id, session.ExpiresAt), userId, session.ExpiresAt);
    }
}
