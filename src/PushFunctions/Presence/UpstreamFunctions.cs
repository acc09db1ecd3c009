using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using PushFunctions.Configuration;
using PushFunctions.Http;
using PushFunctions.Observability;
using PushFunctions.Security;
using PushFunctions.Sessions;
using PushFunctions.SignalR;

namespace PushFunctions.Presence;

/// <summary>
/// SignalR Service's upstream webhooks (<c>/api/signalr/{hub}/{category}/{event}</c>, signature-checked): connection
/// events drive presence. A connection whose session is no longer live (revoked between negotiate and connect)
/// is closed on arrival.
/// </summary>
public sealed class UpstreamFunctions(
    PushSettings settings, SessionStore sessions, SessionRevoker revoker, PresenceService presence, ConnectionOwners owners,
    ISignalRService signalR, ILogger<UpstreamFunctions> logger)
{
    [Function("signalrUpstream")]
    [Accepts(Credential.Upstream)]
    public async Task<Results<Ok, ProblemHttpResult>> Handle(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "signalr/{hub}/{category}/{event}")] HttpRequest request,
        string hub, string category, string @event)
    {
        using var span = PushTelemetry.StartUpstream(category, @event);
        // Exact: the service sends the hub as it knows it (lower case), and a signature is only for that hub.
        if (!hub.Equals(settings.HubName, StringComparison.Ordinal))
            return Problems.NotFound($"Hub '{hub}' is not served here; the hub is '{settings.HubName}'.");

        var connectionId = request.Headers[Credentials.ConnectionIdHeader].ToString();
        var userId = request.Headers[Credentials.UserIdHeader].ToString();
        if (string.IsNullOrEmpty(userId))
            return Problems.BadRequest($"{Credentials.UserIdHeader} is missing: connections must carry a user id.");
        if (PathSegment.IsRewritten(connectionId))
            return Problems.BadRequest($"{Credentials.ConnectionIdHeader} must name one connection.");

        switch (category, @event)
        {
            case ("connections", "connected"):
                var sessionId = ReadClaim(request.Headers[Credentials.UserClaimsHeader].ToString(), Credentials.SessionClaim);
                if (!await owners.ClaimAsync(connectionId, userId, sessionId ?? ""))
                    return Ignored("connected", "the connection belongs to another user or session");
                var session = sessionId is null ? null : await sessions.GetAsync(sessionId);
                if (session is null || session.UserId != userId || !Ids.IsValid(userId))
                    await revoker.RejectConnectionAsync(userId, connectionId, RedirectReasons.SessionRevoked);
                else
                    await presence.ConnectedAsync(session, connectionId);
                return TypedResults.Ok();

            case ("connections", "disconnected"):
                if (!await owners.MayBeOwnedByAsync(connectionId, userId))
                    return Ignored("disconnected", "the connection belongs to another user");
                // The service sends this after the connection is gone; one that still exists makes it a replay.
                if (await StillExistsAsync(connectionId))
                    return Ignored("disconnected", "SignalR Service still reports the connection");
                await presence.DisconnectedAsync(userId, connectionId);
                return TypedResults.Ok();

            default:
                return Problems.NotFound($"No handler for {category}/{@event}: clients only listen on this hub.");
        }
    }

    /// <summary>A correctly signed event that contradicts what is known: a replay with other headers. Answered 200 so the service does not retry it.</summary>
    private Ok Ignored(string @event, string why)
    {
        logger.LogWarning("Ignored an upstream {Event} event: {Why}", @event, why);
        return TypedResults.Ok();
    }

    /// <summary>When the service cannot be asked, the signed event is believed: presence must not stick.</summary>
    private async Task<bool> StillExistsAsync(string connectionId)
    {
        try
        {
            return await signalR.ConnectionExistsAsync(connectionId);
        }
        catch (SignalRException e)
        {
            logger.LogWarning("Could not check a disconnected connection with SignalR Service; believing the event. {Problem}", e.Message);
            return false;
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
