using System.Net;
using PushFunctions.Configuration;
using PushFunctions.IntegrationTests.Support;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// docs/DEPLOY.md "Rotate keys", done as a deployment does it: each step is the app started again with new settings on
/// the same Redis and SignalR Service, and the main backend and a browser keep calling it with what they hold.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class KeyRotationTests(PushSystem system)
{
    [Fact]
    public async Task A_server_key_is_rotated_by_adding_the_new_one_switching_to_it_and_removing_the_old_one()
    {
        var oldKey = "srv-old-" + Guid.NewGuid().ToString("N");
        var newKey = "srv-new-" + Guid.NewGuid().ToString("N");
        var userId = PushSystem.NewId("rot");
        var sent = new List<string>();

        await using (var before = await DeployAsync(serverKeys: oldKey))
        {
            sent.Add(await SendAsync(before, oldKey, userId));
            Assert.Equal(HttpStatusCode.Unauthorized, (await TrySendAsync(before, newKey, userId)).Status);
        }

        // Both keys while the main backend switches over.
        await using (var during = await DeployAsync(serverKeys: $"{oldKey},{newKey}"))
        {
            sent.Add(await SendAsync(during, oldKey, userId));
            sent.Add(await SendAsync(during, newKey, userId));
        }

        await using var after = await DeployAsync(serverKeys: newKey);
        var refused = await TrySendAsync(after, oldKey, userId);
        Assert.True(refused.Status == HttpStatusCode.Unauthorized, $"the removed key: {refused}");
        var refusedLogin = await Api(after, oldKey).ServerAsync(HttpMethod.Post, "/api/login", new { userId, userName = "Rot" });
        Assert.True(refusedLogin.Status == HttpStatusCode.Unauthorized, $"the removed key logging in: {refusedLogin}");
        sent.Add(await SendAsync(after, newKey, userId));

        // Nothing sent with either key was lost on the way.
        var session = await Api(after, newKey).LoginAsync(userId);
        var synced = PushApi.Messages(await Api(after, newKey).SyncAsync(session), "user:" + userId);
        Assert.Equal(sent, synced.Select(m => m.GetProperty("id").GetString()!));
    }

    [Fact]
    public async Task A_session_signing_key_is_rotated_sessions_signed_by_the_old_key_work_until_it_is_removed()
    {
        var serverKey = "srv-" + Guid.NewGuid().ToString("N");
        var oldKey = "sign-old-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        var newKey = "sign-new-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        var userId = PushSystem.NewId("rot");

        Session oldSession, newSession;
        await using (var before = await DeployAsync(serverKey, signingKeys: oldKey))
        {
            oldSession = await Api(before, serverKey).LoginAsync(userId, "laptop");

            // A second instance already has the new key first: it signs with it and still verifies the old one.
            await using var during = await DeployAsync(serverKey, signingKeys: $"{newKey},{oldKey}");
            var api = Api(during, serverKey);
            await api.SyncAsync(oldSession);
            await using var browser = await ConnectAsync(during, oldSession);
            var message = await api.SendToUserAsync(userId, "{\"n\":1}");
            await browser.WaitForAsync("message", p => p.Argument.GetProperty("id").GetString() == message.Id);

            newSession = await api.LoginAsync(userId, "phone");
            await api.SyncAsync(newSession);
            // Signed with the new key: the instance that has only the old one cannot check it.
            Assert.Equal(HttpStatusCode.Unauthorized, (await SyncRawAsync(before, newSession)).Status);
        }

        await using var after = await DeployAsync(serverKey, signingKeys: newKey);
        foreach (var route in new[] { "/api/sync", "/api/negotiate" })
        {
            var refused = await Api(after, serverKey).CallAsync(HttpMethod.Post, route, Credential.Session(oldSession.Token), "{}");
            Assert.True(refused.Status == HttpStatusCode.Unauthorized, $"a session signed by the removed key: {refused}");
        }
        await Api(after, serverKey).SyncAsync(newSession);
        await using var again = await ConnectAsync(after, newSession);
        var later = await Api(after, serverKey).SendToUserAsync(userId, "{\"n\":2}");
        await again.WaitForAsync("message", p => p.Argument.GetProperty("id").GetString() == later.Id);
    }

    private Task<PushAppHost> DeployAsync(string serverKeys, string? signingKeys = null) =>
        PushAppHost.StartAsync(system.Redis.ConnectionString, system.Emulator.ConnectionString, PushKeys.Random(),
            new Dictionary<string, string>
            {
                [SettingNames.ServerKeys] = serverKeys,
                [SettingNames.SessionSigningKeys] = signingKeys ?? PushKeys.Random().SessionSigningKey,
            });

    private static Task<PushConnection> ConnectAsync(PushAppHost app, Session session) =>
        PushConnection.ConnectAsync(app.Url + "/api", session.Token, TimeSpan.FromSeconds(20));

    private PushApi Api(PushAppHost app, string serverKey) => new(system.Http, app.Url, new PushKeys(serverKey, ""));

    private async Task<string> SendAsync(PushAppHost app, string serverKey, string userId) =>
        (await Api(app, serverKey).SendToUserAsync(userId, "{\"key\":\"" + serverKey[..7] + "\"}")).Id;

    private Task<ApiResponse> TrySendAsync(PushAppHost app, string serverKey, string userId) =>
        Api(app, serverKey).SendToUserRawAsync(userId, "{\"n\":0}");

    private Task<ApiResponse> SyncRawAsync(PushAppHost app, Session session) =>
        Api(app, "").CallAsync(HttpMethod.Post, "/api/sync", Credential.Session(session.Token), "{}");
}
