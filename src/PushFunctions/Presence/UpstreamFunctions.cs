using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using PushFunctions.Configuration;
using PushFunctions.Http;
using PushFunctions.Security;
using PushFunctions.Sessions;

namespace PushFunctions.Presence;

/// <summary>
/// SignalR Service's upstream webhooks (<c>/api/signalr/{hub}/{category}/{event}</c>, signature-checked): connection
/// events drive presence. A connection whose session is no longer live (revoked between negotiate and connect)
/// is closed on arrival.
/// </summary>
public sealed class UpstreamFunctions(PushSettings settings, SessionStore sessions, SessionRevoker revoker, PresenceService presence)
{
    /// <summary>The client-token claim that ties a connection to its session; it comes back in X-ASRS-User-Claims.</summary>
    public const string SessionClaim = "pf.sid";

    [Function("signalrUpstream")]
    [Accepts(Credential.Upstream)]
    public async Task<Results<Ok, ProblemHttpResult>> Handle(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "signalr/{hub}/{category}/{event}")] HttpRequest request,
        string hub, string category, string @event)
    {
        if (!hub.Equals(settings.HubName, StringComparison.OrdinalIgnoreCase))
            return Problems.NotFound($"Hub '{hub}' is not served here; the hub is '{settings.HubName}'.");

        var connectionId = request.Headers[Credentials.ConnectionIdHeader].ToString();
        var userId = request.Headers[Credentials.UserIdHeader].ToString();
        if (string.IsNullOrEmpty(userId))
            return Problems.BadRequest($"{Credentials.UserIdHeader} is missing: connections must carry a user id.");

        switch (category, @event)
        {
            case ("connections", "connected"):
                var sessionId = ReadClaim(request.Headers[Credentials.UserClaimsHeader].ToString(), SessionClaim);
                var session = sessionId is null ? null : await sessions.GetAsync(sessionId);
                if (session is null || session.UserId != userId)
                    await revoker.RejectConnectionAsync(userId, connectionId, RedirectReasons.SessionRevoked);
                else
                    await presence.ConnectedAsync(session, connectionId);
                return TypedResults.Ok();

            case ("connections", "disconnected"):
                await presence.DisconnectedAsync(userId, connectionId);
                return TypedResults.Ok();

            default:
                return Problems.NotFound($"No handler for {category}/{@event}: clients only listen on this hub.");
        }
    }

    /// <summary>Reads one claim from X-ASRS-User-Claims (<c>type: value, type: value</c>).</summary>
    internal static string? ReadClaim(string header, string type)
    {
        foreach (var item in header.Split(',', StringSplitOptions.TrimEntries))
        {
            var separator = item.IndexOf(": ", StringComparison.Ordinal);
            if (separator > 0 && item.AsSpan(0, separator).SequenceEqual(type)) return item[(separator + 2)..];
        }
        return null;
    }
}
