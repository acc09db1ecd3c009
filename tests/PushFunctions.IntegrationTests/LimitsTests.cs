using System.Net;
using PushFunctions.Configuration;
using PushFunctions.IntegrationTests.Support;
using StackExchange.Redis;

namespace PushFunctions.IntegrationTests;

/// <summary>docs/API.md "Limits": what one user may hold is bounded, each past its limit with a stated answer.</summary>
[Collection(SystemCollection.Name)]
public sealed class LimitsTests(PushSystem system)
{
    private static readonly LimitsOptions Limits = new();

    [Fact]
    public async Task A_login_past_the_session_limit_revokes_the_oldest_session_and_nothing_else()
    {
        var api = system.Api;
        var userId = PushSystem.NewId("many");
        var sessions = new List<Session>();
        for (var i = 0; i <= Limits.SessionsPerUser; i++) sessions.Add(await api.LoginAsync(userId, "device-" + i));

        var list = await api.ServerAsync(HttpMethod.Get, $"/api/users/{userId}/sessions");
        var ids = list.Json.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("sessionId").GetString()).ToList();
        Assert.Equal(Limits.SessionsPerUser, ids.Count);
        Assert.DoesNotContain(sessions[0].SessionId, ids);
        Assert.Contains(sessions[^1].SessionId, ids);

        var oldest = await api.CallAsync(HttpMethod.Post, "/api/sync", Credential.Session(sessions[0].Token), "{}");
        ProblemAssert.Problem(oldest, 401, "the evicted oldest session");
        var second = await api.CallAsync(HttpMethod.Post, "/api/sync", Credential.Session(sessions[1].Token), "{}");
        Assert.True(second.Status == HttpStatusCode.OK, second.ToString());
    }

    [Fact]
    public async Task A_session_longer_than_the_longest_allowed_is_400_naming_the_setting()
    {
        var response = await system.Api.ServerAsync(HttpMethod.Post, "/api/login",
            new { userId = PushSystem.NewId("long"), userName = "Long", ttlSeconds = (long)Limits.SessionMaxLifetime.TotalSeconds + 1 });
        ProblemAssert.Problem(response, 400);
        Assert.Contains(SettingNames.SessionMaxTtlSeconds, response.ProblemTitle);
    }

    [Fact]
    public async Task A_user_can_be_in_at_most_the_room_limit_and_the_next_add_is_409()
    {
        var api = system.Api;
        var userId = PushSystem.NewId("rooms");
        var prefix = PushSystem.NewId("r");
        foreach (var batch in Enumerable.Range(0, Limits.RoomsPerUser).Chunk(20))
        {
            var added = await Task.WhenAll(batch.Select(i => api.ServerAsync(HttpMethod.Put, $"/api/rooms/{prefix}-{i}/members/{userId}")));
            Assert.All(added, r => Assert.True(r.Status == HttpStatusCode.NoContent, r.ToString()));
        }

        var past = await api.ServerAsync(HttpMethod.Put, $"/api/rooms/{prefix}-extra/members/{userId}");
        ProblemAssert.Problem(past, 409);
        Assert.Contains(SettingNames.RoomsPerUser, past.ProblemTitle);
        var again = await api.ServerAsync(HttpMethod.Put, $"/api/rooms/{prefix}-0/members/{userId}");
        Assert.True(again.Status == HttpStatusCode.NoContent, $"adding to a room they are in stays idempotent: {again}");
        var extra = await api.ServerAsync(HttpMethod.Get, $"/api/rooms/{prefix}-extra/members");
        Assert.Equal(0, extra.Json.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_room_holds_at_most_the_member_limit_and_the_next_add_or_join_is_409_naming_the_setting()
    {
        var keys = PushKeys.Random();
        await using var app = await PushAppHost.StartAsync(system.Redis.ConnectionString, system.Emulator.ConnectionString, keys,
            new Dictionary<string, string> { [SettingNames.MembersPerRoom] = "3" });
        var api = new PushApi(system.Http, app.Url, keys);
        var room = PushSystem.NewId("full");
        var users = Enumerable.Range(0, 4).Select(_ => PushSystem.NewId("member")).ToArray();
        foreach (var user in users[..3])
            Assert.Equal(HttpStatusCode.NoContent, (await api.ServerAsync(HttpMethod.Put, $"/api/rooms/{room}/members/{user}")).Status);

        var past = await api.ServerAsync(HttpMethod.Put, $"/api/rooms/{room}/members/{users[3]}");
        ProblemAssert.Problem(past, 409, "an add to a full room");
        Assert.Contains(SettingNames.MembersPerRoom, past.ProblemTitle);
        Assert.Equal(HttpStatusCode.NoContent, (await api.ServerAsync(HttpMethod.Put, $"/api/rooms/{room}/members/{users[1]}")).Status);

        Assert.Equal(HttpStatusCode.NoContent, (await api.ServerAsync(HttpMethod.Put, $"/api/rooms/{room}", new { policy = "open" })).Status);
        var session = await api.LoginAsync(users[3]);
        var join = await api.CallAsync(HttpMethod.Post, $"/api/rooms/{room}/join", Credential.Session(session.Token));
        ProblemAssert.Problem(join, 409, "joining a full open room");
        Assert.Contains(SettingNames.MembersPerRoom, join.ProblemTitle);
        Assert.Equal(3, (await api.ServerAsync(HttpMethod.Get, $"/api/rooms/{room}/members")).Json.GetProperty("total").GetInt32());

        // A member leaving makes a place.
        Assert.Equal(HttpStatusCode.NoContent, (await api.ServerAsync(HttpMethod.Delete, $"/api/rooms/{room}/members/{users[0]}")).Status);
        var joined = await api.CallAsync(HttpMethod.Post, $"/api/rooms/{room}/join", Credential.Session(session.Token));
        Assert.True(joined.Status == HttpStatusCode.NoContent, joined.ToString());
    }

    [Fact]
    public async Task Every_key_a_user_leaves_has_a_lifetime_so_a_user_whose_sessions_expired_leaves_nothing_behind()
    {
        var api = system.Api;
        var userId = PushSystem.NewId("gone");
        var session = await api.LoginAsync(userId);
        await api.SendToUserAsync(userId, "{\"n\":1}", idempotencyKey: "k-" + Guid.NewGuid().ToString("N"));
        await api.SyncAsync(session);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(system.Redis.ConnectionString);
        var keys = new List<RedisKey>();
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica)) // every shard, on a cluster
        {
            await foreach (var key in server.KeysAsync(pattern: $"pf:{{user:{userId}}}*")) keys.Add(key);
            await foreach (var key in server.KeysAsync(pattern: $"pf:{{session:{session.SessionId}}}*")) keys.Add(key);
        }
        Assert.True(keys.Count >= 6, $"the user's keys: {string.Join(", ", keys)}");
        foreach (var key in keys)
        {
            var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(key);
            Assert.True(ttl is { } left && left > TimeSpan.Zero, $"{key} never expires");
        }
    }

    [Fact]
    public async Task The_user_session_index_expires_with_the_longest_session()
    {
        var userId = PushSystem.NewId("ttl");
        await system.Api.ServerAsync(HttpMethod.Post, "/api/login", new { userId, userName = "Short", ttlSeconds = 120 });
        await system.Api.ServerAsync(HttpMethod.Post, "/api/login", new { userId, userName = "Short", ttlSeconds = 300 });

        await using var redis = await ConnectionMultiplexer.ConnectAsync(system.Redis.ConnectionString);
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync($"pf:{{user:{userId}}}:sessions");
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(200), TimeSpan.FromSeconds(300));
    }
}
