using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using PushFunctions.IntegrationTests.Support;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// Bad input on every route (API.md's routes, and <c>POST /api/deleteAccountToUpdateOnline</c>, which takes the user as
/// <c>{uid}</c>): each answer is the expected 4xx, never 5xx, never a hang, and the app keeps serving normal sends. What
/// the app answers is problem+json with a title; what the Functions host or its web server refuses before any app code
/// runs (a route or method no function declares, headers over Kestrel's limit, bytes it does not take in a path or a
/// header) is its bare status. The matrix is the <see cref="Table"/>: one theory row per
/// (route, bad input).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class BadInputTests(PushSystem system)
{
    private const int MiB = 1024 * 1024;

    /// <summary>Rows the app answers itself.</summary>
    public static TheoryData<string> Matrix() => Cases.Of([.. Table.Where(r => !r.Value.BeforeTheApp).Select(r => r.Key)]);

    /// <summary>Rows the Functions host or its web server refuses before the app sees them.</summary>
    public static TheoryData<string> RefusedBeforeTheApp() => Cases.Of([.. Table.Where(r => r.Value.BeforeTheApp).Select(r => r.Key)]);

    [Theory]
    [MemberData(nameof(Matrix))]
    public Task Bad_input_is_answered_4xx_problem_json_and_the_app_keeps_serving(string row) => Check(row);

    /// <remarks>
    /// The host's routes take only the methods a function declares (a bare 404 for any other route or method); Kestrel,
    /// in the host as in the worker, refuses headers over 32 KiB with a bare 431, and NUL (%00) in a path and header
    /// bytes that are not ASCII with a bare 400: nothing is stored, and there is no body of the app's.
    /// </remarks>
    [Theory]
    [MemberData(nameof(RefusedBeforeTheApp))]
    public Task Bad_input_the_host_refuses_is_its_bare_status_and_the_app_keeps_serving(string row) => Check(row, problemJson: false);

    private async Task Check(string row, bool problemJson = true)
    {
        var bad = Table[row];
        var api = system.Api;
        var context = new RowContext(
            api,
            bad.As == Caller.Session ? await api.LoginAsync(PushSystem.NewId("bad")) : null,
            PushSystem.NewId("bu"),
            PushSystem.NewId("br"),
            system.EmulatorAccessKey);

        // An oversized request goes over a socket of its own: the server may answer before reading all of it and close.
        var response = bad.RawSocket
            ? await RawHttp.SendAsync(bad.Build(context), PushApi.RequestTimeout)
            : await api.SendAsync(bad.Build(context));

        Assert.True(response.Code is >= 400 and < 500, $"{row}: expected a 4xx, got {response}\napp log:\n{system.App.Logs.Tail(5)}");
        if (problemJson) ProblemAssert.Problem(response, bad.Expected, row);
        else ProblemAssert.Bare(response, bad.Expected, row);

        // The app still serves a normal send afterwards.
        await api.SendToUserAsync(PushSystem.NewId("after"), "{\"still\":\"working\"}");
    }

    [Fact]
    public async Task Ids_at_the_limits_of_the_rule_are_accepted()
    {
        var api = system.Api;
        var user = ("Az09._-@:" + Guid.NewGuid().ToString("N")).PadRight(128, 'u');
        var room = ("r:@-_.9" + Guid.NewGuid().ToString("N")).PadRight(128, 'r');
        Assert.Equal(128, user.Length);

        await api.SendToUserAsync(user, "{\"edge\":true}");
        var session = await api.LoginAsync(user);
        Assert.Single(PushApi.Messages(await api.SyncAsync(session), "user:" + user));
        Assert.Equal(HttpStatusCode.NoContent, (await api.ServerAsync(HttpMethod.Put, $"/api/rooms/{room}/members/{user}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await api.ServerAsync(HttpMethod.Get, $"/api/rooms/{room}/members")).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await api.ServerAsync(HttpMethod.Post, $"/api/rooms/{room}/messages", new { payload = 1, from = user })).Status);
        Assert.Equal(HttpStatusCode.OK, (await api.ServerAsync(HttpMethod.Get, $"/api/users/{user}/sessions")).Status);
        Assert.Equal(HttpStatusCode.OK, (await api.ServerAsync(HttpMethod.Get, $"/api/online?after={user}&limit=1000")).Status);
        Assert.Equal(HttpStatusCode.OK, (await api.ServerAsync(HttpMethod.Delete, $"/api/users/{user}")).Status);
    }

    // ---- the matrix ---------------------------------------------------------------------------

    private enum Caller { Server, Session, Upstream }

    private sealed record RowContext(PushApi Api, Session? Session, string User, string Room, string EmulatorAccessKey);

    /// <param name="RawSocket">
    /// Over a size limit (the server may answer before reading it all), or with header bytes HttpClient will not
    /// send (not ASCII): it goes over a raw socket.
    /// </param>
    /// <param name="BeforeTheApp">The host or its web server refuses it before any app code runs: a bare status, no body.</param>
    private sealed record Row(Caller As, int Expected, bool RawSocket, bool BeforeTheApp, Func<RowContext, HttpRequestMessage> Build);

    /// <summary>Ids that break the rule "1..128 of A-Z a-z 0-9 . _ - @ :", as they appear in a URL path (percent-encoded).</summary>
    private static readonly (string What, string Segment)[] BadPathIds =
    [
        ("space", "a%20b"),
        ("slash (%2F)", "a%2Fb"),
        ("dollar", "a$b"),
        ("percent", "a%25b"),
        ("plus", "a+b"),
        ("129 characters", new string('a', 129)),
        ("emoji", "%F0%9F%98%80"),
        ("RTL override", "a%E2%80%AEb"),
        ("Arabic letters", Uri.EscapeDataString("مرحبا")),
        ("NUL", "a%00b"),
        ("lone surrogate (CESU-8 %ED%A0%80)", "a%ED%A0%80b"),
        ("invalid UTF-8 (%FF%FE)", "a%FF%FEb"),
        ("truncated UTF-8 (%C3)", "a%C3"),
    ];

    /// <summary>Bytes that are not UTF-8, inside a JSON string and as an object key.</summary>
    private static readonly (string What, byte[] Bytes)[] NotUtf8 =
    [
        ("invalid UTF-8 in a string (FF FE)", [0xFF, 0xFE]),
        ("a lone continuation byte (80)", [0x80]),
        ("an overlong encoding (C0 AF)", [0xC0, 0xAF]),
        ("a truncated sequence (E2 82)", [0xE2, 0x82]),
    ];

    /// <summary><paramref name="before"/> + the bad bytes + <paramref name="after"/>, as an application/json body.</summary>
    private static Func<RowContext, HttpContent?> JsonWithBytes(string before, byte[] bad, string after) =>
        _ => Bytes([.. Encoding.UTF8.GetBytes(before), .. bad, .. Encoding.UTF8.GetBytes(after)]);

    /// <summary>The same, as JSON string literals in a body.</summary>
    private static readonly (string What, string Json)[] BadJsonIds =
    [
        ("space", "\"a b\""),
        ("slash", "\"a/b\""),
        ("129 characters", $"\"{new string('a', 129)}\""),
        ("empty", "\"\""),
        ("emoji", "\"😀\""),
        ("escaped emoji", "\"\\ud83d\\ude00\""),
        ("RTL override", "\"a\\u202eb\""),
        ("Arabic letters", "\"مرحبا\""),
        ("NUL", "\"a\\u0000b\""),
        ("lone surrogate", "\"a\\ud800b\""),
        ("lone low surrogate", "\"a\\udc00b\""),
    ];

    private static readonly Lazy<byte[]> OverRequestLimit = new(() =>
        Encoding.UTF8.GetBytes($"{{\"payload\":\"{new string('x', MiB + 1024)}\",\"userId\":\"u\",\"userName\":\"n\",\"uid\":\"u\",\"cursors\":{{}}}}"));

    private static readonly string OverPayloadLimit = $"{{\"payload\":\"{new string('x', 64 * 1024)}\"}}"; // 64 KiB + 2 quotes

    private static readonly Dictionary<string, Row> Table = BuildTable();

    private static Dictionary<string, Row> BuildTable()
    {
        var table = new Dictionary<string, Row>(StringComparer.Ordinal);
        void Add(string method, string route, string what, Caller caller, int expected, Func<RowContext, string> path,
                 Func<RowContext, HttpContent?>? body = null, Action<HttpRequestMessage>? headers = null, bool beforeTheApp = false)
        {
            var name = $"{method} {route} [{caller.ToString().ToLowerInvariant()}] | {what}";
            // Kestrel's default 32 KiB of request headers, in the host as in the worker: refused before any app code runs.
            table.Add(name, new Row(caller, expected, expected is 413 or 431 || what.Contains("non-ASCII"), beforeTheApp || expected == 431, context =>
            {
                var request = new HttpRequestMessage(new HttpMethod(method), context.Api.BaseUrl + path(context));
                (caller switch
                {
                    Caller.Server => context.Api.Server,
                    Caller.Session => Credential.Session(context.Session!.Token),
                    _ => Credential.None,
                }).Apply(request);
                if (caller == Caller.Upstream) SignUpstream(request, context);
                request.Content = body?.Invoke(context);
                headers?.Invoke(request);
                return request;
            }));
        }

        static Func<RowContext, HttpContent?> Json(string json) => _ => new StringContent(json, Encoding.UTF8, "application/json");
        static Func<RowContext, HttpContent?> Text(string text) => _ => new StringContent(text, Encoding.UTF8, "text/plain");
        static Func<RowContext, HttpContent?> Huge() => _ => Bytes(OverRequestLimit.Value);
        static Func<RowContext, HttpContent?> HugeChunked() => _ => new ChunkedContent(OverRequestLimit.Value);

        // --- sends: POST /api/users/{userId}/messages, /api/broadcast, /api/rooms/{roomId}/messages ---------------
        var sends = new (string Route, Caller As, Func<RowContext, string> Path)[]
        {
            ("/api/users/{userId}/messages", Caller.Server, c => $"/api/users/{c.User}/messages"),
            ("/api/broadcast", Caller.Server, _ => "/api/broadcast"),
            ("/api/rooms/{roomId}/messages", Caller.Server, c => $"/api/rooms/{c.Room}/messages"),
            ("/api/rooms/{roomId}/messages", Caller.Session, c => $"/api/rooms/{c.Room}/messages"),
        };
        foreach (var (route, caller, path) in sends)
        {
            Add("POST", route, "malformed JSON", caller, 400, path, Json("{\"payload\": {\"a\": 1"));
            Add("POST", route, "body is an array holding a payload", caller, 400, path, Json("[{\"payload\": 1}]"));
            Add("POST", route, "body is a string", caller, 400, path, Json("\"payload\""));
            Add("POST", route, "missing payload", caller, 400, path, Json("{}"));
            Add("POST", route, "missing payload (only from)", caller, 400, path, Json("{\"from\":\"u1\"}"));
            Add("POST", route, "empty body", caller, 400, path, Json(""));
            Add("POST", route, "body is JSON null", caller, 400, path, Json("null"));
            Add("POST", route, "from is a number", caller, 400, path, Json("{\"payload\":1,\"from\":5}"));
            Add("POST", route, "payload over 64 KiB", caller, 413, path, Json(OverPayloadLimit));
            Add("POST", route, "body over 1 MiB", caller, 413, path, Huge());
            Add("POST", route, "body over 1 MiB, chunked", caller, 413, path, HugeChunked());
            Add("POST", route, "text/plain body", caller, 415, path, Text("{\"payload\":1}"));
            Add("POST", route, "Idempotency-Key of 129 characters", caller, 400, path, Json("{\"payload\":1}"),
                r => r.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 129)));
            Add("POST", route, "Idempotency-Key of 16 KB", caller, 400, path, Json("{\"payload\":1}"),
                r => r.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 16 * 1024)));
            Add("POST", route, "a header over Kestrel's 32 KB limit", caller, 431, path, Json("{\"payload\":1}"),
                r => r.Headers.TryAddWithoutValidation("X-Padding", new string('p', 40 * 1024)));
            if (caller == Caller.Server)
                foreach (var (what, id) in BadJsonIds)
                    Add("POST", route, $"body from: {what}", caller, 400, path, Json($"{{\"payload\":1,\"from\":{id}}}"));
            foreach (var (what, bytes) in NotUtf8)
            {
                Add("POST", route, $"payload: {what}", caller, 400, path, JsonWithBytes("{\"payload\":\"", bytes, "\"}"));
                Add("POST", route, $"payload key: {what}", caller, 400, path, JsonWithBytes("{\"payload\":{\"", bytes, "\":1}}"));
            }
        }
        foreach (var (what, segment) in BadPathIds)
        {
            var nul = what == "NUL"; // refused by the web server before the app
            Add("POST", "/api/users/{userId}/messages", $"path userId: {what}", Caller.Server, 400, _ => $"/api/users/{segment}/messages", Json("{\"payload\":1}"), beforeTheApp: nul);
            Add("POST", "/api/rooms/{roomId}/messages", $"path roomId: {what}", Caller.Server, 400, _ => $"/api/rooms/{segment}/messages", Json("{\"payload\":1}"), beforeTheApp: nul);
            Add("POST", "/api/rooms/{roomId}/messages", $"path roomId: {what}", Caller.Session, 400, _ => $"/api/rooms/{segment}/messages", Json("{\"payload\":1}"), beforeTheApp: nul);
        }

        // --- POST /api/login ------------------------------------------------------------------------------------
        {
            const string route = "/api/login";
            Func<RowContext, string> path = _ => route;
            Add("POST", route, "malformed JSON", Caller.Server, 400, path, Json("{\"userId\":\"u1\","));
            Add("POST", route, "body is an array", Caller.Server, 400, path, Json("[{\"userId\":\"u1\",\"userName\":\"n\"}]"));
            Add("POST", route, "userId is a number", Caller.Server, 400, path, Json("{\"userId\":5,\"userName\":\"n\"}"));
            Add("POST", route, "userName is an object", Caller.Server, 400, path, Json("{\"userId\":\"u1\",\"userName\":{}}"));
            Add("POST", route, "ttlSeconds is a string", Caller.Server, 400, path, Json("{\"userId\":\"u1\",\"userName\":\"n\",\"ttlSeconds\":\"3600\"}"));
            Add("POST", route, "ttlSeconds is a fraction", Caller.Server, 400, path, Json("{\"userId\":\"u1\",\"userName\":\"n\",\"ttlSeconds\":3600.5}"));
            Add("POST", route, "ttlSeconds below the minimum", Caller.Server, 400, path, Json("{\"userId\":\"u1\",\"userName\":\"n\",\"ttlSeconds\":10}"));
            Add("POST", route, "ttlSeconds beyond int", Caller.Server, 400, path, Json("{\"userId\":\"u1\",\"userName\":\"n\",\"ttlSeconds\":99999999999}"));
            Add("POST", route, "missing userId", Caller.Server, 400, path, Json("{\"userName\":\"n\"}"));
            Add("POST", route, "missing userName", Caller.Server, 400, path, Json("{\"userId\":\"u1\"}"));
            Add("POST", route, "empty body", Caller.Server, 400, path, Json(""));
            Add("POST", route, "body is JSON null", Caller.Server, 400, path, Json("null"));
            Add("POST", route, "userName with a control character", Caller.Server, 400, path, Json("{\"userId\":\"u1\",\"userName\":\"a\\u0007b\"}"));
            Add("POST", route, "userName of 129 characters", Caller.Server, 400, path, Json($"{{\"userId\":\"u1\",\"userName\":\"{new string('n', 129)}\"}}"));
            Add("POST", route, "device of 129 characters", Caller.Server, 400, path, Json($"{{\"userId\":\"u1\",\"userName\":\"n\",\"device\":\"{new string('d', 129)}\"}}"));
            Add("POST", route, "body over 1 MiB", Caller.Server, 413, path, Huge());
            Add("POST", route, "text/plain body", Caller.Server, 415, path, Text("{\"userId\":\"u1\",\"userName\":\"n\"}"));
            foreach (var (what, id) in BadJsonIds)
                Add("POST", route, $"body userId: {what}", Caller.Server, 400, path, Json($"{{\"userId\":{id},\"userName\":\"n\"}}"));
            foreach (var (what, bytes) in NotUtf8)
                Add("POST", route, $"userName: {what}", Caller.Server, 400, path, JsonWithBytes("{\"userId\":\"u1\",\"userName\":\"", bytes, "\"}"));
        }

        // --- POST /api/deleteAccountToUpdateOnline ({uid}) --------------------------------------------------------
        {
            const string route = "/api/deleteAccountToUpdateOnline";
            Func<RowContext, string> path = _ => route;
            Add("POST", route, "malformed JSON", Caller.Server, 400, path, Json("{\"uid\":"));
            Add("POST", route, "body is an array", Caller.Server, 400, path, Json("[{\"uid\":\"u1\"}]"));
            Add("POST", route, "uid is a number", Caller.Server, 400, path, Json("{\"uid\":5,\"userName\":\"n\"}"));
            Add("POST", route, "missing uid", Caller.Server, 400, path, Json("{\"userName\":\"n\"}"));
            Add("POST", route, "empty body", Caller.Server, 400, path, Json(""));
            Add("POST", route, "body over 1 MiB", Caller.Server, 413, path, Huge());
            Add("POST", route, "text/plain body", Caller.Server, 415, path, Text("{\"uid\":\"u1\"}"));
            foreach (var (what, id) in BadJsonIds)
                Add("POST", route, $"body uid: {what}", Caller.Server, 400, path, Json($"{{\"uid\":{id},\"userName\":\"n\"}}"));
            foreach (var (what, bytes) in NotUtf8)
                Add("POST", route, $"uid: {what}", Caller.Server, 400, path, JsonWithBytes("{\"uid\":\"", bytes, "\"}"));
        }

        // --- POST /api/sync -------------------------------------------------------------------------------------
        {
            const string route = "/api/sync";
            Func<RowContext, string> path = _ => route;
            Add("POST", route, "malformed JSON", Caller.Session, 400, path, Json("{\"cursors\":{"));
            Add("POST", route, "body is an array", Caller.Session, 400, path, Json("[{\"cursors\":{}}]"));
            Add("POST", route, "cursors is a string", Caller.Session, 400, path, Json("{\"cursors\":\"broadcast:5\"}"));
            Add("POST", route, "cursors is an array", Caller.Session, 400, path, Json("{\"cursors\":[[\"broadcast\",5]]}"));
            Add("POST", route, "a cursor is a string", Caller.Session, 400, path, Json("{\"cursors\":{\"broadcast\":\"5\"}}"));
            Add("POST", route, "a cursor is a fraction", Caller.Session, 400, path, Json("{\"cursors\":{\"broadcast\":1.5}}"));
            Add("POST", route, "a cursor is negative", Caller.Session, 400, path, Json("{\"cursors\":{\"broadcast\":-1}}"));
            Add("POST", route, "a cursor beyond long", Caller.Session, 400, path, Json("{\"cursors\":{\"broadcast\":1e30}}"));
            Add("POST", route, "a cursor is null", Caller.Session, 400, path, Json("{\"cursors\":{\"broadcast\":null}}"));
            Add("POST", route, "a cursor for an unknown stream kind", Caller.Session, 400, path, Json("{\"cursors\":{\"topic:x\":1}}"));
            Add("POST", route, "a cursor for another user's stream", Caller.Session, 403, path, Json("{\"cursors\":{\"user:someone-else\":0}}"));
            Add("POST", route, "a cursor for a room the user is not in", Caller.Session, 403, path, c => Json($"{{\"cursors\":{{\"room:{c.Room}\":0}}}}")(c));
            Add("POST", route, "body over 1 MiB", Caller.Session, 413, path, Huge());
            Add("POST", route, "text/plain body", Caller.Session, 415, path, Text("{\"cursors\":{}}"));
            Add("POST", route, "a header over Kestrel's 32 KB limit", Caller.Session, 431, path, Json("{}"),
                r => r.Headers.TryAddWithoutValidation("X-Padding", new string('p', 40 * 1024)));
            foreach (var (what, bytes) in NotUtf8)
                Add("POST", route, $"cursor stream name: {what}", Caller.Session, 400, path, JsonWithBytes("{\"cursors\":{\"user:", bytes, "\":0}}"));
            foreach (var (what, id) in BadJsonIds)
            {
                var inner = id.Length >= 2 && id[0] == '"' ? id[1..^1] : id;
                Add("POST", route, $"cursor stream user:<{what}>", Caller.Session, 400, path, Json($"{{\"cursors\":{{\"user:{inner}\":0}}}}"));
                Add("POST", route, $"cursor stream room:<{what}>", Caller.Session, 400, path, Json($"{{\"cursors\":{{\"room:{inner}\":0}}}}"));
            }
        }

        // --- PUT /api/rooms/{roomId} (room policy) ---------------------------------------------------------------
        {
            const string route = "/api/rooms/{roomId}";
            Func<RowContext, string> path = c => $"/api/rooms/{c.Room}";
            Add("PUT", route, "unknown policy", Caller.Server, 400, path, Json("{\"policy\":\"everyone\"}"));
            Add("PUT", route, "policy is a number", Caller.Server, 400, path, Json("{\"policy\":1}"));
            Add("PUT", route, "missing policy", Caller.Server, 400, path, Json("{}"));
            Add("PUT", route, "empty body", Caller.Server, 400, path, Json(""));
            Add("PUT", route, "malformed JSON", Caller.Server, 400, path, Json("{\"policy\":"));
            Add("PUT", route, "text/plain body", Caller.Server, 415, path, Text("{\"policy\":\"open\"}"));
            Add("PUT", route, "body over 1 MiB", Caller.Server, 413, path, Huge());
            foreach (var (what, bytes) in NotUtf8)
                Add("PUT", route, $"policy: {what}", Caller.Server, 400, path, JsonWithBytes("{\"policy\":\"", bytes, "\"}"));
            foreach (var (what, segment) in BadPathIds)
                Add("PUT", route, $"path roomId: {what}", Caller.Server, 400, _ => $"/api/rooms/{segment}", Json("{\"policy\":\"open\"}"), beforeTheApp: what == "NUL");
        }

        // --- headers that are not ASCII (Idempotency-Key on every send) -------------------------------------------
        foreach (var (route, caller, path) in sends)
            Add("POST", route, "Idempotency-Key with a non-ASCII character", caller, 400, path, Json("{\"payload\":1}"),
                r => r.Headers.TryAddWithoutValidation("Idempotency-Key", "k\u00e9y"), beforeTheApp: true);

        // --- ids in the path of the other routes -----------------------------------------------------------------
        foreach (var (what, segment) in BadPathIds)
        {
            var nul = what == "NUL"; // refused by the web server before the app
            Add("PUT", "/api/rooms/{roomId}/members/{userId}", $"path roomId: {what}", Caller.Server, 400, c => $"/api/rooms/{segment}/members/{c.User}", beforeTheApp: nul);
            Add("PUT", "/api/rooms/{roomId}/members/{userId}", $"path userId: {what}", Caller.Server, 400, c => $"/api/rooms/{c.Room}/members/{segment}", beforeTheApp: nul);
            Add("DELETE", "/api/rooms/{roomId}/members/{userId}", $"path roomId: {what}", Caller.Server, 400, c => $"/api/rooms/{segment}/members/{c.User}", beforeTheApp: nul);
            Add("DELETE", "/api/rooms/{roomId}/members/{userId}", $"path userId: {what}", Caller.Server, 400, c => $"/api/rooms/{c.Room}/members/{segment}", beforeTheApp: nul);
            Add("GET", "/api/rooms/{roomId}/members", $"path roomId: {what}", Caller.Server, 400, _ => $"/api/rooms/{segment}/members", beforeTheApp: nul);
            Add("GET", "/api/users/{userId}/sessions", $"path userId: {what}", Caller.Server, 400, _ => $"/api/users/{segment}/sessions", beforeTheApp: nul);
            Add("DELETE", "/api/users/{userId}", $"path userId: {what}", Caller.Server, 400, _ => $"/api/users/{segment}", beforeTheApp: nul);
            Add("DELETE", "/api/sessions/{sessionId}", $"path sessionId: {what}", Caller.Server, 400, _ => $"/api/sessions/{segment}", beforeTheApp: nul);
            Add("POST", "/api/rooms/{roomId}/join", $"path roomId: {what}", Caller.Session, 400, _ => $"/api/rooms/{segment}/join", beforeTheApp: nul);
            Add("POST", "/api/rooms/{roomId}/leave", $"path roomId: {what}", Caller.Session, 400, _ => $"/api/rooms/{segment}/leave", beforeTheApp: nul);
            Add("GET", "/api/online", $"query after: {what}", Caller.Server, 400, _ => $"/api/online?after={segment}");
        }

        // --- routes without a body get one over the request limit ---------------------------------------------
        Add("PUT", "/api/rooms/{roomId}/members/{userId}", "body over 1 MiB", Caller.Server, 413, c => $"/api/rooms/{c.Room}/members/{c.User}", Huge());
        Add("DELETE", "/api/rooms/{roomId}/members/{userId}", "body over 1 MiB", Caller.Server, 413, c => $"/api/rooms/{c.Room}/members/{c.User}", Huge());
        Add("DELETE", "/api/users/{userId}", "body over 1 MiB", Caller.Server, 413, c => $"/api/users/{c.User}", Huge());
        Add("DELETE", "/api/sessions/{sessionId}", "body over 1 MiB", Caller.Server, 413, _ => "/api/sessions/AAAAAAAAAAAAAAAAAAAAAA", Huge());
        Add("DELETE", "/api/sessions/{sessionId}", "sessionId of 65 characters", Caller.Server, 400, _ => $"/api/sessions/{new string('A', 65)}");
        Add("POST", "/api/negotiate", "body over 1 MiB", Caller.Session, 413, _ => "/api/negotiate", Huge());
        Add("POST", "/api/rooms/{roomId}/join", "body over 1 MiB", Caller.Session, 413, c => $"/api/rooms/{c.Room}/join", Huge());
        Add("POST", "/api/rooms/{roomId}/leave", "body over 1 MiB", Caller.Session, 413, c => $"/api/rooms/{c.Room}/leave", Huge());
        Add("POST", "/api/logout", "body over 1 MiB", Caller.Session, 413, _ => "/api/logout", Huge());

        // --- GET /api/online paging parameters ---------------------------------------------------------------
        foreach (var caller in new[] { Caller.Server, Caller.Session })
        {
            Add("GET", "/api/online", "limit is not a number", caller, 400, _ => "/api/online?limit=abc");
            Add("GET", "/api/online", "limit is 0", caller, 400, _ => "/api/online?limit=0");
            Add("GET", "/api/online", "limit is negative", caller, 400, _ => "/api/online?limit=-5");
            Add("GET", "/api/online", "limit over the maximum", caller, 400, _ => "/api/online?limit=1001");
            Add("GET", "/api/online", "limit beyond int", caller, 400, _ => "/api/online?limit=99999999999");
        }

        // --- upstream (correctly signed, but not an event this app takes) -----------------------------------
        Add("POST", "/api/signalr/{hub}/{category}/{event}", "no X-ASRS-User-Id", Caller.Upstream, 400,
            _ => $"/api/signalr/{PushSystem.Hub}/connections/connected", headers: r => r.Headers.Remove("X-ASRS-User-Id"));
        Add("POST", "/api/signalr/{hub}/{category}/{event}", "another hub", Caller.Upstream, 404, _ => "/api/signalr/otherhub/connections/connected");
        Add("POST", "/api/signalr/{hub}/{category}/{event}", "an unknown event", Caller.Upstream, 404, _ => $"/api/signalr/{PushSystem.Hub}/connections/reconnected");
        Add("POST", "/api/signalr/{hub}/{category}/{event}", "a client invocation", Caller.Upstream, 404, _ => $"/api/signalr/{PushSystem.Hub}/messages/broadcast",
            Json("{\"type\":1,\"target\":\"broadcast\",\"arguments\":[]}"));
        Add("POST", "/api/signalr/{hub}/{category}/{event}", "body over 1 MiB", Caller.Upstream, 413, _ => $"/api/signalr/{PushSystem.Hub}/connections/disconnected", Huge());

        // --- no such route, wrong method: the host's routes take only the methods a function declares ------------
        Add("GET", "/api/nope", "no such route", Caller.Server, 404, _ => "/api/nope", beforeTheApp: true);
        Add("GET", "/api/login", "wrong method", Caller.Server, 404, _ => "/api/login", beforeTheApp: true);
        Add("DELETE", "/api/broadcast", "wrong method", Caller.Server, 404, _ => "/api/broadcast", beforeTheApp: true);
        return table;
    }

    private static void SignUpstream(HttpRequestMessage request, RowContext context)
    {
        var connectionId = "conn-" + Guid.NewGuid().ToString("N");
        var signature = "sha256=" + Convert.ToHexStringLower(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(context.EmulatorAccessKey), Encoding.UTF8.GetBytes(connectionId)));
        request.Headers.TryAddWithoutValidation("X-ASRS-Connection-Id", connectionId);
        request.Headers.TryAddWithoutValidation("X-ASRS-Signature", signature);
        request.Headers.TryAddWithoutValidation("X-ASRS-User-Id", context.User);
    }

    private static ByteArrayContent Bytes(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A body sent with Transfer-Encoding: chunked (no Content-Length), so the limit must be enforced while reading.</summary>
    private sealed class ChunkedContent : HttpContent
    {
        private readonly byte[] _body;

        public ChunkedContent(byte[] body)
        {
            _body = body;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var offset = 0; offset < _body.Length; offset += 64 * 1024)
                await stream.WriteAsync(_body.AsMemory(offset, Math.Min(64 * 1024, _body.Length - offset)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
