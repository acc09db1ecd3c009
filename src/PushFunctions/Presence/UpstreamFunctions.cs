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
/// events drive presence. The service retries no upstream call, so a <c>connected</c> event can be lost; every client
/// therefore invokes <see cref="PresentMethod"/> over its new connection, which the service posts here with the same
/// signed connection id, user and claims as <c>connected</c>, and which is answered (a Completion) so that the client
/// tries again until it is. A connection whose session is no longer live (revoked between negotiate and connect) is
/// closed on arrival, whichever of the two arrives.
/// </summary>
public sealed class UpstreamFunctions(
    PushSettings settings, SessionStore sessions, SessionRevoker revoker, PresenceService presence, ConnectionOwners owners,
    ISignalRService signalR, ILogger<UpstreamFunctions> logger)
{
    /// <summary>The one hub method clients invoke: "this connection is mine and live" (CONTRACTS.md).</summary>
    public const string PresentMethod = "present";

    [Function("signalrUpstream")]
    [Accepts(Credential.Upstream)]
    public async Task<Results<Ok, FileContentHttpResult, ProblemHttpResult>> Handle(
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
                await ArrivedAsync(request, connectionId, userId, "connected");
                return TypedResults.Ok();

            case ("messages", PresentMethod):
                var invocation = await JsonBody.ReadAsync<HubInvocation>(request);
                if (invocation.Problem is { } malformed) return malformed;
                await ArrivedAsync(request, connectionId, userId, PresentMethod);
                // Sent with send() there is nothing to complete; with invoke() the client waits for this Completion.
                return invocation.Value?.InvocationId is { } id
                    ? TypedResults.Bytes(HubInvocation.VoidCompletion(id), "application/json")
                    : TypedResults.Ok();

            case ("connections", "disconnected"):
                if (!await owners.MayBeOwnedByAsync(connectionId, userId))
                    return Ignored("disconnected", "the connection belongs to another user");
                // The service sends this after the connection is gone; one that still exists makes it a replay.
                if (await StillExistsAsync(connectionId))
                    return Ignored("disconnected", "SignalR Service still reports the connection");
                await presence.DisconnectedAsync(userId, connectionId);
                return TypedResults.Ok();

            default:
                return Problems.NotFound($"No handler for {category}/{@event}: the only method clients may invoke is '{PresentMethod}'.");
        }
    }

    /// <summary>
    /// A connection's <c>connected</c> event or its own <see cref="PresentMethod"/>: either may come first, or alone.
    /// The first to arrive claims the connection for its user and session; the second renews its lease.
    /// </summary>
    private async Task ArrivedAsync(HttpRequest request, string connectionId, string userId, string @event)
    {
        var sessionId = ReadClaim(request.Headers[Credentials.UserClaimsHeader].ToString(), Credentials.SessionClaim);
        if (!await owners.ClaimAsync(connectionId, userId, sessionId ?? ""))
        {
            Ignored(@event, "the connection belongs to another user or session");
            return;
        }
        var session = sessionId is null ? null : await sessions.GetAsync(sessionId);
        if (session is null || session.UserId != userId || !Ids.IsValid(userId))
            await revoker.RejectConnectionAsync(userId, connectionId, RedirectReasons.SessionRevoked);
        else
            await presence.ConnectedAsync(session, connectionId);
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
