using SignalREmulator.Auth;
using SignalREmulator.Client;
using SignalREmulator.Groups;

namespace SignalREmulator.Rest;

/// <summary>
/// The data-plane operations (spec §1.2, §1.4). Sends answer 202 whether or not anyone receives them;
/// membership calls create the hub on demand so they work before its first client connects.
/// </summary>
public sealed class RestHandlers(HubRegistry hubs, HubFrames frames, AccessKeys keys, TemporaryAccessKeys temporaryKeys, EmulatorOptions options, ServiceEndpoint service, TimeProvider clock)
{
    public async Task<IResult> SendToHub(HttpContext context, string hub)
    {
        if (!TryHub(context, hub, out var name, out var error)) return error;
        var payload = await PayloadReader.ReadInvocationAsync(context.Request);
        if (payload.Error is not null) return payload.Error;
        if (hubs.Find(name) is { } state) Deliver(state.AllConnections(), payload.Frame!, Excluded(context));
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    public async Task<IResult> SendToUser(HttpContext context, string hub, string user)
    {
        if (!TryHub(context, hub, out var name, out var error)) return error;
        var payload = await PayloadReader.ReadInvocationAsync(context.Request);
        if (payload.Error is not null) return payload.Error;
        if (hubs.Find(name) is { } state) Deliver(state.UserConnections(Id(user)), payload.Frame!, null);
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    public async Task<IResult> SendToConnection(HttpContext context, string hub, string connectionId)
    {
        if (!TryHub(context, hub, out var name, out var error)) return error;
        var payload = await PayloadReader.ReadInvocationAsync(context.Request);
        if (payload.Error is not null) return payload.Error;
        hubs.Find(name)?.FindConnection(Id(connectionId))?.TrySend(payload.Frame!);
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    public async Task<IResult> SendToGroup(HttpContext context, string hub, string group)
    {
        if (!TryHubAndGroup(context, hub, group, out var name, out var error)) return error;
        var payload = await PayloadReader.ReadInvocationAsync(context.Request);
        if (payload.Error is not null) return payload.Error;
        if (hubs.Find(name) is { } state) Deliver(state.GroupConnections(Id(group)), payload.Frame!, Excluded(context));
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    public IResult AddConnectionToGroup(HttpContext context, string hub, string group, string connectionId)
    {
        if (!TryHubAndGroup(context, hub, group, out var name, out var error)) return error;
        return hubs.Find(name)?.AddConnectionToGroup(Id(connectionId), Id(group)) == true ? Results.Ok() : ConnectionMissing(connectionId);
    }

    public IResult RemoveConnectionFromGroup(HttpContext context, string hub, string group, string connectionId)
    {
        if (!TryHubAndGroup(context, hub, group, out var name, out var error)) return error;
        return hubs.Find(name)?.RemoveConnectionFromGroup(Id(connectionId), Id(group)) == true ? Results.Ok() : ConnectionMissing(connectionId);
    }

    public IResult RemoveConnectionFromAllGroups(HttpContext context, string hub, string connectionId)
    {
        if (!TryHub(context, hub, out var name, out var error)) return error;
        hubs.Find(name)?.RemoveConnectionFromAllGroups(Id(connectionId));
        return Results.Ok();
    }

    public IResult AddUserToGroup(HttpContext context, string hub, string user, string group, int successStatus)
    {
        if (!TryHubAndGroup(context, hub, group, out var name, out var error)) return error;
        TimeSpan? ttl = null;
        var ttlValue = context.Request.Query["ttl"].ToString();
        if (ttlValue.Length > 0)
        {
            if (!int.TryParse(ttlValue, out var seconds) || seconds < 0) return ErrorResults.BadRequest("'ttl' must be a non-negative number of seconds.");
            ttl = TimeSpan.FromSeconds(seconds);
        }
        hubs.GetOrCreate(name).AddUserToGroup(Id(user), Id(group), ttl);
        return Results.StatusCode(successStatus);
    }

    public IResult RemoveUserFromGroup(HttpContext context, string hub, string user, string group, int successStatus)
    {
        if (!TryHubAndGroup(context, hub, group, out var name, out var error)) return error;
        hubs.Find(name)?.RemoveUserFromGroup(Id(user), Id(group));
        return Results.StatusCode(successStatus);
    }

    public IResult RemoveUserFromAllGroups(HttpContext context, string hub, string user, int successStatus)
    {
        if (!TryHub(context, hub, out var name, out var error)) return error;
        hubs.Find(name)?.RemoveUserFromAllGroups(Id(user));
        return Results.StatusCode(successStatus);
    }

    public IResult UserInGroup(HttpContext context, string hub, string user, string group)
    {
        if (!TryHubAndGroup(context, hub, group, out var name, out var error)) return error;
        return hubs.Find(name)?.IsUserInGroup(Id(user), Id(group)) == true
            ? Results.Ok()
            : ErrorResults.NotFound(ErrorResults.UserNotInGroup, "The user is not in the group.");
    }

    public IResult ConnectionExists(HttpContext context, string hub, string connectionId)
    {
        if (!TryHub(context, hub, out var name, out var error)) return error;
        return hubs.Find(name)?.FindConnection(Id(connectionId)) is not null
            ? Results.Ok()
            : ErrorResults.NotFound(ErrorResults.ConnectionNotExisted, "The connection does not exist.");
    }

    public IResult UserExists(HttpContext context, string hub, string user)
    {
        if (!TryHub(context, hub, out var name, out var error)) return error;
        return hubs.Find(name)?.UserExists(Id(user)) == true
            ? Results.Ok()
            : ErrorResults.NotFound(ErrorResults.UserNotExisted, "The user has no connection.");
    }

    public IResult GroupExists(HttpContext context, string hub, string group)
    {
        if (!TryHubAndGroup(context, hub, group, out var name, out var error)) return error;
        return hubs.Find(name)?.GroupExists(Id(group)) == true
            ? Results.Ok()
            : ErrorResults.NotFound(ErrorResults.GroupNotExisted, "The group has no connection.");
    }

    public IResult CloseConnection(HttpContext context, string hub, string connectionId, int successStatus)
    {
        if (!TryHub(context, hub, out var name, out var error)) return error;
        var reason = Reason(context);
        hubs.Find(name)?.FindConnection(Id(connectionId))?.Close(reason, frames.Close(reason));
        return Results.StatusCode(successStatus);
    }

    public IResult CloseHubConnections(HttpContext context, string hub)
    {
        if (!TryHub(context, hub, out var name, out var error)) return error;
        if (hubs.Find(name) is { } state) CloseAll(state.AllConnections(), context);
        return Results.NoContent();
    }

    public IResult CloseGroupConnections(HttpContext context, string hub, string group)
    {
        if (!TryHubAndGroup(context, hub, group, out var name, out var error)) return error;
        if (hubs.Find(name) is { } state) CloseAll(state.GroupConnections(Id(group)), context);
        return Results.NoContent();
    }

    public IResult CloseUserConnections(HttpContext context, string hub, string user)
    {
        if (!TryHub(context, hub, out var name, out var error)) return error;
        if (hubs.Find(name) is { } state) CloseAll(state.UserConnections(Id(user)), context);
        return Results.NoContent();
    }

    /// <summary>A client token as the service would mint it: aud = the client URL on its Endpoint, <c>asrs.s.uid</c>, exp.</summary>
    public IResult GenerateToken(HttpContext context, string hub)
    {
        if (!TryHub(context, hub, out var name, out var error)) return error;
        var minutes = 60;
        var minutesValue = context.Request.Query["minutesToExpire"].ToString();
        if (minutesValue.Length > 0 && (!int.TryParse(minutesValue, out minutes) || minutes < 1))
        {
            return ErrorResults.BadRequest("'minutesToExpire' must be an integer of at least 1.");
        }
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var request = context.Request;
        var claims = new List<KeyValuePair<string, object>>
        {
            // From the Endpoint, without the port, as the SDK builds client audiences (spec §3.2).
            new("aud", $"{service.AudienceBase}/client/?hub={name}"),
            new("iat", now),
            new("nbf", now),
            new("exp", now + minutes * 60L),
        };
        var userId = request.Query["userId"].ToString();
        if (userId.Length > 0) claims.Add(new("asrs.s.uid", userId));
        // With local auth disabled the access keys sign nothing: a temporary key (named by kid) does.
        var token = options.DisableLocalAuth && temporaryKeys.Issue() is { } temporary
            ? Jwt.Create(claims, temporary.AccessKey, temporary.KeyId)
            : Jwt.Create(claims, keys.Primary);
        return TypedResults.Json(new TokenResponse(token), EmulatorJson.Default.TokenResponse);
    }

    /// <summary>A temporary access key for a Microsoft Entra caller (the pipeline has checked the token).</summary>
    public IResult GetAccessKey()
    {
        var issued = temporaryKeys.Issue();
        return TypedResults.Json(new AccessKeyResponse(issued.AccessKey, issued.KeyId), EmulatorJson.Default.AccessKeyResponse);
    }

    private void CloseAll(IEnumerable<ClientConnection> connections, HttpContext context)
    {
        var reason = Reason(context);
        var frame = frames.Close(reason);
        var excluded = Excluded(context);
        foreach (var connection in connections)
        {
            if (excluded is null || !excluded.Contains(connection.Id)) connection.Close(reason, frame);
        }
    }

    private static void Deliver(IEnumerable<ClientConnection> connections, byte[] frame, HashSet<string>? excluded)
    {
        // One serialized frame shared by every recipient.
        foreach (var connection in connections)
        {
            if (excluded is null || !excluded.Contains(connection.Id)) connection.TrySend(frame);
        }
    }

    private static HashSet<string>? Excluded(HttpContext context)
    {
        var values = context.Request.Query["excluded"];
        if (values.Count == 0) return null;
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            if (!string.IsNullOrEmpty(value)) set.Add(value);
        }
        return set;
    }

    private static string? Reason(HttpContext context)
    {
        var reason = context.Request.Query["reason"].ToString();
        return reason.Length == 0 ? null : reason;
    }

    private static IResult ConnectionMissing(string connectionId) =>
        ErrorResults.NotFound(ErrorResults.ConnectionNotExistedError, $"Connection '{Id(connectionId)}' does not exist.");

    // Routing decodes every escape except %2F; the SDK escapes ids with Uri.EscapeDataString, so a '/' in an id arrives as %2F.
    private static string Id(string value) => value.Contains('%') ? value.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase) : value;

    private static bool TryHub(HttpContext context, string hub, out string name, out IResult error)
    {
        var application = context.Request.Query["application"].ToString();
        if (!HubNames.IsValid(hub) || (application.Length > 0 && !HubNames.IsValid(application)))
        {
            name = "";
            error = ErrorResults.BadRequest("Invalid hub or application name.");
            return false;
        }
        name = HubNames.Normalize(hub, application);
        error = Results.Empty;
        return true;
    }

    private static bool TryHubAndGroup(HttpContext context, string hub, string group, out string name, out IResult error)
    {
        if (!TryHub(context, hub, out name, out error)) return false;
        var decoded = Id(group);
        if (decoded.Length is 0 or > 1024 || string.IsNullOrWhiteSpace(decoded))
        {
            error = ErrorResults.BadRequest("The group name must be 1 to 1024 characters and not only whitespace.");
            return false;
        }
        return true;
    }
}
