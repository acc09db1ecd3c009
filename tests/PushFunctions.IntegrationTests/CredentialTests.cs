using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using PushFunctions.IntegrationTests.Support;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// API.md "Credentials": missing or wrong credentials 401, a valid credential of the wrong kind 403, as problem+json from
/// the app; on the routes only the main backend calls (authLevel function) the Functions host checks the server key
/// first, as its host key, and answers a bare 401 without calling the app.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class CredentialTests(PushSystem system)
{
    private PushApi Api => system.Api;

    /// <summary>Every server-key route, with a body that would be accepted (so only the credential decides).</summary>
    public static TheoryData<string> ServerRoutes() => Cases.Of(
        "POST /api/login",
        "POST /api/users/{user}/messages",
        "POST /api/broadcast",
        "POST /api/rooms/{room}/messages",
        "PUT /api/rooms/{room}/members/{user}",
        "DELETE /api/rooms/{room}/members/{user}",
        "GET /api/rooms/{room}/members",
        "GET /api/online",
        "GET /api/users/{user}/sessions",
        "DELETE /api/sessions/{session}",
        "DELETE /api/users/{user}",
        "POST /api/deleteAccountToUpdateOnline");

    /// <summary>Routes only a server key may call (no session).</summary>
    public static TheoryData<string> ServerOnlyRoutes() =>
        Cases.Of([.. Cases.Names(ServerRoutes()).Where(r => r is not "POST /api/rooms/{room}/messages" and not "GET /api/online")]);

    public static TheoryData<string> SessionRoutes() => Cases.Of(
        "POST /api/negotiate",
        "POST /api/sync",
        "POST /api/rooms/{room}/join",
        "POST /api/rooms/{room}/leave",
        "POST /api/rooms/{room}/messages",
        "GET /api/online",
        "POST /api/logout");

    public static TheoryData<string> SessionOnlyRoutes() =>
        Cases.Of([.. Cases.Names(SessionRoutes()).Where(r => r is not "POST /api/rooms/{room}/messages" and not "GET /api/online")]);

    public static TheoryData<string> ForgedTokens() => Cases.Of(
        "wrong signature",
        "signature of another key",
        "tampered session id",
        "tampered expiry",
        "correctly signed, unknown session",
        "correctly signed, expired",
        "random string",
        "empty bearer",
        "not a Bearer scheme",
        "token of 16 KB");

    /// <summary>401: the host's bare one on a server-only route (it holds the key check), the app's problem on the others.</summary>
    private static void Unauthorized(ApiResponse response, string route)
    {
        if (Cases.Names(ServerOnlyRoutes()).Contains(route)) ProblemAssert.Bare(response, 401, route);
        else ProblemAssert.Problem(response, 401, route);
    }

    [Theory]
    [MemberData(nameof(ServerRoutes))]
    public async Task Server_route_without_credentials_is_401(string route)
    {
        Unauthorized(await Api.SendAsync(ServerRequest(route, Credential.None)), route);
    }

    [Theory]
    [MemberData(nameof(ServerRoutes))]
    public async Task Server_route_with_a_wrong_server_key_header_is_401(string route)
    {
        Unauthorized(await Api.SendAsync(ServerRequest(route, Credential.ServerKey("wrong-" + Api.Keys.ServerKey))), route);
    }

    [Theory]
    [MemberData(nameof(ServerRoutes))]
    public async Task Server_route_with_a_wrong_code_query_is_401(string route)
    {
        Unauthorized(await Api.SendAsync(ServerRequest(route, Credential.ServerKeyQuery(Api.Keys.ServerKey[..^1]))), route);
    }

    [Fact]
    public async Task Server_key_is_accepted_in_the_header_and_in_the_code_query()
    {
        var header = await Api.SendAsync(ServerRequest("GET /api/online", Credential.ServerKey(Api.Keys.ServerKey)));
        var query = await Api.SendAsync(ServerRequest("GET /api/online", Credential.ServerKeyQuery(Api.Keys.ServerKey)));
        Assert.True(header.Status == HttpStatusCode.OK, header.ToString());
        Assert.True(query.Status == HttpStatusCode.OK, query.ToString());
    }

    [Fact]
    public async Task Empty_server_key_header_is_the_hosts_bare_401()
    {
        ProblemAssert.Bare(await Api.SendAsync(ServerRequest("POST /api/broadcast", Credential.ServerKey(""))), 401);
    }

    [Theory]
    [MemberData(nameof(ServerOnlyRoutes))]
    public async Task Session_token_on_a_server_only_route_is_the_hosts_bare_401(string route)
    {
        // No host key: the host refuses it before the app could tell it is a session token (403 on the other routes).
        var session = await Api.LoginAsync(PushSystem.NewId("cred"));
        ProblemAssert.Bare(await Api.SendAsync(ServerRequest(route, Credential.Session(session.Token))), 401, route);
    }

    [Theory]
    [MemberData(nameof(SessionOnlyRoutes))]
    public async Task Server_key_on_a_session_route_is_403(string route)
    {
        ProblemAssert.Problem(await Api.SendAsync(SessionRequest(route, Api.Server)), 403, route);
    }

    [Theory]
    [MemberData(nameof(SessionRoutes))]
    public async Task Session_route_without_credentials_is_401(string route)
    {
        ProblemAssert.Problem(await Api.SendAsync(SessionRequest(route, Credential.None)), 401, route);
    }

    [Theory]
    [MemberData(nameof(ForgedTokens))]
    public async Task Forged_session_token_is_401_on_every_session_route(string forgery)
    {
        var session = await Api.LoginAsync(PushSystem.NewId("forge"));
        var credential = forgery switch
        {
            "not a Bearer scheme" => Credential.Header("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("user:" + session.Token))),
            "empty bearer" => Credential.Header("Authorization", "Bearer "),
            _ => Credential.Session(Forge(session, forgery)),
        };

        foreach (var route in Cases.Names(SessionRoutes()))
            ProblemAssert.Problem(await Api.SendAsync(SessionRequest(route, credential)), 401, $"{forgery} on {route}");

        // The real token still works: the 401s were about the forgery.
        await Api.SyncAsync(session);
    }

    [Fact]
    public async Task Session_token_is_401_after_logout()
    {
        var userId = PushSystem.NewId("logout");
        var session = await Api.LoginAsync(userId);
        var other = await Api.LoginAsync(userId, "other device");
        await Api.SyncAsync(session);

        var logout = await Api.CallAsync(HttpMethod.Post, "/api/logout", Credential.Session(session.Token));
        Assert.True(logout.Status == HttpStatusCode.NoContent, logout.ToString());

        foreach (var route in Cases.Names(SessionRoutes()))
            ProblemAssert.Problem(await Api.SendAsync(SessionRequest(route, Credential.Session(session.Token))), 401, $"after logout: {route}");
        await Api.SyncAsync(other); // only that session ended
    }

    [Fact]
    public async Task Session_token_is_401_after_DELETE_sessions_id()
    {
        var userId = PushSystem.NewId("revoke");
        var session = await Api.LoginAsync(userId);
        var other = await Api.LoginAsync(userId, "other device");
        await Api.SyncAsync(session);

        var revoke = await Api.ServerAsync(HttpMethod.Delete, $"/api/sessions/{session.SessionId}");
        Assert.True(revoke.Status == HttpStatusCode.NoContent, revoke.ToString());

        foreach (var route in Cases.Names(SessionRoutes()))
            ProblemAssert.Problem(await Api.SendAsync(SessionRequest(route, Credential.Session(session.Token))), 401, $"after revoke: {route}");
        await Api.SyncAsync(other);
    }

    [Fact]
    public async Task Session_token_is_401_after_the_account_is_deleted()
    {
        var userId = PushSystem.NewId("gone");
        var session = await Api.LoginAsync(userId);
        var delete = await Api.ServerAsync(HttpMethod.Delete, $"/api/users/{userId}");
        Assert.True(delete.Status == HttpStatusCode.OK, delete.ToString());
        ProblemAssert.Problem(await Api.SendAsync(SessionRequest("POST /api/sync", Credential.Session(session.Token))), 401);
        ProblemAssert.Problem(await Api.SendAsync(SessionRequest("POST /api/negotiate", Credential.Session(session.Token))), 401);
    }

    public static TheoryData<string> ForgedSignatures() => Cases.Of(
        "HMAC of another key",
        "HMAC of another connection id",
        "garbage hex",
        "empty signature",
        "no connection id header",
        "signature without sha256= prefix");

    [Theory]
    [MemberData(nameof(ForgedSignatures))]
    public async Task Forged_upstream_signature_on_connections_connected_is_401(string forgery)
    {
        var connectionId = "conn-" + Guid.NewGuid().ToString("N");
        var signature = forgery switch
        {
            "HMAC of another key" => Signature("not-the-access-key", connectionId),
            "HMAC of another connection id" => Signature(system.EmulatorAccessKey, connectionId + "x"),
            "garbage hex" => "sha256=" + new string('z', 64),
            "empty signature" => "",
            "no connection id header" => Signature(system.EmulatorAccessKey, connectionId),
            "signature without sha256= prefix" => Signature(system.EmulatorAccessKey, connectionId)["sha256=".Length..],
            _ => throw new ArgumentOutOfRangeException(nameof(forgery)),
        };
        var request = UpstreamRequest("connected", forgery == "no connection id header" ? null : connectionId, signature, PushSystem.NewId("up"));
        ProblemAssert.Problem(await Api.SendAsync(request), 401, forgery);
    }

    [Fact]
    public async Task Upstream_route_without_a_signature_is_401_and_with_other_credentials_is_403()
    {
        var noSignature = UpstreamRequest("connected", "conn-x", signature: null, PushSystem.NewId("up"));
        ProblemAssert.Problem(await Api.SendAsync(noSignature), 401);

        var withServerKey = UpstreamRequest("connected", "conn-x", signature: null, PushSystem.NewId("up"));
        Api.Server.Apply(withServerKey);
        ProblemAssert.Problem(await Api.SendAsync(withServerKey), 403, "server key on the upstream route");

        var session = await Api.LoginAsync(PushSystem.NewId("up"));
        var withSession = UpstreamRequest("connected", "conn-x", signature: null, session.UserId);
        Credential.Session(session.Token).Apply(withSession);
        ProblemAssert.Problem(await Api.SendAsync(withSession), 403, "session token on the upstream route");
    }

    [Fact]
    public async Task Correctly_signed_upstream_event_is_accepted()
    {
        var connectionId = "conn-" + Guid.NewGuid().ToString("N");
        var response = await Api.SendAsync(UpstreamRequest("disconnected", connectionId, Signature(system.EmulatorAccessKey, connectionId), PushSystem.NewId("up")));
        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
    }

    // ---- helpers ----------------------------------------------------------------------------

    private HttpRequestMessage ServerRequest(string route, Credential credential)
    {
        var user = PushSystem.NewId("cu");
        var room = PushSystem.NewId("cr");
        var (method, path) = Split(route, user, room);
        path = path.Replace("{session}", "AAAAAAAAAAAAAAAAAAAAAA");
        var body = route switch
        {
            "POST /api/login" => $"{{\"userId\":\"{user}\",\"userName\":\"n\"}}",
            "POST /api/users/{user}/messages" or "POST /api/broadcast" or "POST /api/rooms/{room}/messages" => "{\"payload\":{\"x\":1}}",
            "POST /api/deleteAccountToUpdateOnline" => $"{{\"uid\":\"{user}\",\"userName\":\"n\"}}",
            _ => null,
        };
        return Api.Request(method, path, credential, body);
    }

    private HttpRequestMessage SessionRequest(string route, Credential credential)
    {
        var (method, path) = Split(route, PushSystem.NewId("su"), PushSystem.NewId("sr"));
        var body = route switch
        {
            "POST /api/sync" => "{\"cursors\":{}}",
            "POST /api/rooms/{room}/messages" => "{\"payload\":{\"x\":1}}",
            _ => null,
        };
        return Api.Request(method, path, credential, body);
    }

    private static (HttpMethod Method, string Path) Split(string route, string user, string room)
    {
        var parts = route.Split(' ');
        return (new HttpMethod(parts[0]), parts[1].Replace("{user}", user).Replace("{room}", room));
    }

    private HttpRequestMessage UpstreamRequest(string @event, string? connectionId, string? signature, string userId)
    {
        var request = Api.Request(HttpMethod.Post, $"/api/signalr/{PushSystem.Hub}/connections/{@event}", Credential.None, "");
        if (connectionId is not null) request.Headers.TryAddWithoutValidation("X-ASRS-Connection-Id", connectionId);
        if (signature is not null) request.Headers.TryAddWithoutValidation("X-ASRS-Signature", signature);
        request.Headers.TryAddWithoutValidation("X-ASRS-Hub", PushSystem.Hub);
        request.Headers.TryAddWithoutValidation("X-ASRS-Category", "connections");
        request.Headers.TryAddWithoutValidation("X-ASRS-Event", @event);
        request.Headers.TryAddWithoutValidation("X-ASRS-User-Id", userId);
        return request;
    }

    private static string Signature(string key, string connectionId) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(connectionId)));

    /// <summary>Session tokens are <c>pf1.{sessionId}.{expiresUnix}.{base64url HMAC-SHA256}</c> (SessionTokens).</summary>
    private string Forge(Session session, string forgery)
    {
        var parts = session.Token.Split('.');
        Assert.Equal(4, parts.Length);
        var key = Api.Keys.SessionSigningKey;
        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString();
        string Signed(string signingKey, string sessionId, string expires)
        {
            var body = $"{parts[0]}.{sessionId}.{expires}";
            return body + "." + Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingKey), Encoding.UTF8.GetBytes(body)));
        }

        var randomId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        return forgery switch
        {
            "wrong signature" => $"{parts[0]}.{parts[1]}.{parts[2]}.{Flip(parts[3])}",
            "signature of another key" => Signed("another-signing-key-of-at-least-32-characters", parts[1], parts[2]),
            "tampered session id" => $"{parts[0]}.{randomId}.{parts[2]}.{parts[3]}",
            "tampered expiry" => $"{parts[0]}.{parts[1]}.{long.Parse(parts[2]) + 86400}.{parts[3]}",
            "correctly signed, unknown session" => Signed(key, randomId, future),
            "correctly signed, expired" => Signed(key, parts[1], DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds().ToString()),
            "random string" => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(48)),
            "token of 16 KB" => $"{parts[0]}.{parts[1]}.{parts[2]}.{new string('A', 16 * 1024)}",
            _ => throw new ArgumentOutOfRangeException(nameof(forgery)),
        };
    }

    private static string Flip(string signature) =>
        (signature[0] == 'A' ? 'B' : 'A') + signature[1..];
}
