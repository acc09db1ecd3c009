using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PushFunctions.IntegrationTests.Support;
using Credentials = PushFunctions.Security.Credentials;
using PushFunctions.Sessions;
using PushFunctions.SignalR;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// Ids that URL normalisation removes from a path (<c>.</c> and <c>..</c>) would turn a call for one user into a call
/// for the whole hub at SignalR Service (<c>users/../:closeConnections</c> is <c>:closeConnections</c>; the emulator,
/// an ASP.NET Core server, rewrites them the same way). Every route is called with them, in the body and in the path
/// (as written, percent-encoded, and double-encoded) while a bystander is connected: each call is refused and the
/// bystander receives nothing and stays connected.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DotSegmentIdTests(PushSystem system)
{
    private static readonly string[] DotIds = [".", ".."];

    /// <summary>How a dot id can be written in a path: as is, percent-encoded (decoded by the server), double-encoded (not decoded).</summary>
    private static IEnumerable<string> PathForms(string id) => [id, id.Replace(".", "%2E"), id.Replace(".", "%252E")];

    private sealed record Call(HttpMethod Method, string Path, string? Body, bool AsSession);

    private static IEnumerable<Call> BodyCalls(string id, string user, string room) =>
    [
        new(HttpMethod.Post, "/api/login", Json(new { userId = id, userName = "Dot" }), false),
        new(HttpMethod.Post, "/api/deleteAccountToUpdateOnline", Json(new { uid = id, userName = "Dot" }), false),
        new(HttpMethod.Post, $"/api/users/{user}/messages", Json(new { payload = 1, from = id }), false),
        new(HttpMethod.Post, $"/api/rooms/{room}/messages", Json(new { payload = 1, from = id }), false),
        new(HttpMethod.Post, "/api/sync", Json(new { cursors = new Dictionary<string, long> { ["user:" + id] = 0 } }), true),
        new(HttpMethod.Post, "/api/sync", Json(new { cursors = new Dictionary<string, long> { ["room:" + id] = 0 } }), true),
        new(HttpMethod.Get, $"/api/online?after={Uri.EscapeDataString(id)}", null, false),
    ];

    private static IEnumerable<Call> PathCalls(string segment, string user, string room) =>
    [
        new(HttpMethod.Post, $"/api/users/{segment}/messages", Json(new { payload = 1 }), false),
        new(HttpMethod.Get, $"/api/users/{segment}/sessions", null, false),
        new(HttpMethod.Delete, $"/api/users/{segment}", null, false),
        new(HttpMethod.Put, $"/api/rooms/{room}/members/{segment}", null, false),
        new(HttpMethod.Delete, $"/api/rooms/{room}/members/{segment}", null, false),
        new(HttpMethod.Put, $"/api/rooms/{segment}/members/{user}", null, false),
        new(HttpMethod.Delete, $"/api/rooms/{segment}/members/{user}", null, false),
        new(HttpMethod.Put, $"/api/rooms/{segment}", Json(new { policy = "open" }), false),
        new(HttpMethod.Get, $"/api/rooms/{segment}/members", null, false),
        new(HttpMethod.Post, $"/api/rooms/{segment}/messages", Json(new { payload = 1 }), false),
        new(HttpMethod.Post, $"/api/rooms/{segment}/messages", Json(new { payload = 1 }), true),
        new(HttpMethod.Post, $"/api/rooms/{segment}/join", null, true),
        new(HttpMethod.Post, $"/api/rooms/{segment}/leave", null, true),
        new(HttpMethod.Delete, $"/api/sessions/{segment}", null, false),
    ];

    private static string Json(object value) => JsonSerializer.Serialize(value);

    [Fact]
    public async Task No_call_made_with_a_dot_segment_id_reaches_a_connected_bystander()
    {
        var api = system.Api;
        var bystander = PushSystem.NewId("bystander");
        var room = PushSystem.NewId("room");
        Assert.Equal(204, (await api.ServerAsync(HttpMethod.Put, $"/api/rooms/{room}/members/{bystander}")).Code);
        await using var watched = await system.ConnectAsync(await api.LoginAsync(bystander));
        var caller = await api.LoginAsync(PushSystem.NewId("caller"));
        await system.RestQuietAsync();
        var before = system.Emulator.Stats.Snapshot().RestCallsByOperation;

        var calls = DotIds.SelectMany(id => BodyCalls(id, bystander, room)
            .Concat(PathForms(id).SelectMany(segment => PathCalls(segment, bystander, room))));
        foreach (var call in calls)
        {
            var request = api.Request(call.Method, "", call.AsSession ? Credential.Session(caller.Token) : api.Server, call.Body);
            // As written: HttpClient would remove the dot segments itself, and the server is what is under test.
            request.RequestUri = new Uri(api.BaseUrl + call.Path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
            var response = await api.SendAsync(request);
            var what = $"{call.Method} {call.Path} {call.Body}";
            // The id reached a route: 400 naming the rule. A dot segment removed by the server's own normalisation
            // names another route, or none (404, or 405 for another method's route; the host decides): either way
            // no route ever holds a dot id, and nothing is done.
            Assert.True(response.Code is 400 or 404 or 405, $"{what}: expected 400, 404 or 405, got {response}");
            if (response.Code == 400) ProblemAssert.Problem(response, 400, what);
        }

        // What reached SignalR Service: at most what the bystander's own connect causes (an online-count push, which
        // the bystander would see as update_online_count, not as a message).
        var after = system.Emulator.Stats.Snapshot().RestCallsByOperation;
        var moved = after.Where(op => op.Value != before.GetValueOrDefault(op.Key)).Select(op => op.Key).ToList();
        Assert.True(moved.All(op => op == "sendToHub"), $"REST calls made: {string.Join(", ", moved)}");

        // Still connected and reached as itself: a message for the bystander arrives, and nothing else did before it.
        var sent = await api.SendToUserAsync(bystander, "{\"after\":\"dots\"}");
        await watched.WaitForAsync("message", p => p.Argument.GetProperty("id").GetString() == sent.Id);
        Assert.True(watched.IsConnected);
        var unexpected = watched.Received.Where(p => p.Target is "redirect_to_login" or "room_message"
            || (p.Target == "message" && p.Argument.GetProperty("id").GetString() != sent.Id)).ToList();
        Assert.True(unexpected.Count == 0, $"the bystander received: {string.Join(", ", unexpected.Select(p => p.Target + " " + p.Argument))}");
    }

    [Fact]
    // Stores a session through the app's services in this process: not in the run through the worker process.
    [Trait("Host", PushAppHost.InProcessTrait)]
    public async Task A_session_stored_for_a_dot_id_before_the_rule_is_refused_and_its_connection_closed_alone()
    {
        var api = system.Api;
        await using var watched = await system.ConnectAsync(await api.LoginAsync(PushSystem.NewId("bystander")));
        var services = system.App.Services;
        var old = await services.GetRequiredService<SessionStore>().CreateAsync("..", "Made before the rule", null, TimeSpan.FromHours(1));
        var oldToken = services.GetRequiredService<PushFunctions.Security.SessionTokens>().Create(old.Id, old.ExpiresAt);

        Assert.Equal(401, (await api.CallAsync(HttpMethod.Post, "/api/negotiate", Credential.Session(oldToken))).Code);

        // A client token minted for it before the rule still opens a connection at the service: it is closed on arrival.
        var info = await services.GetRequiredService<ISignalRService>().GetClientConnectionInfoAsync(
            "..", [new(Credentials.SessionClaim, old.Id)], TimeSpan.FromMinutes(5));
        await using var connection = await PushConnection.ConnectToServiceAsync(info.Url, info.AccessToken, TimeSpan.FromSeconds(20));
        await connection.WaitForAsync("redirect_to_login", _ => true);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (connection.IsConnected && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.False(connection.IsConnected);

        Assert.True(watched.IsConnected);
        Assert.DoesNotContain(watched.Received, p => p.Target == "redirect_to_login");
    }
}
