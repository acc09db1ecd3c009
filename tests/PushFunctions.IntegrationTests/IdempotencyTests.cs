using System.Net;
using PushFunctions.IntegrationTests.Support;

namespace PushFunctions.IntegrationTests;

/// <summary>API.md: a retried send with the same Idempotency-Key returns the first result and sends nothing again.</summary>
[Collection(SystemCollection.Name)]
public sealed class IdempotencyTests(PushSystem system)
{
    [Fact]
    public async Task Hundred_concurrent_sends_with_the_same_key_store_and_push_one_message()
    {
        var api = system.Api;
        var userId = PushSystem.NewId("idem");
        var key = "key-" + Guid.NewGuid().ToString("N");
        await system.RestQuietAsync();
        var pushesBefore = system.Emulator.Stats.RestCallsFor("sendToUser");

        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => api.SendToUserRawAsync(userId, "{\"once\":true}", key)));

        Assert.All(responses, r => Assert.True(r.Status == HttpStatusCode.Accepted, r.ToString()));
        var results = responses.Select(Sent.From).Distinct().ToList();
        Assert.True(results.Count == 1, $"{results.Count} different results: {string.Join(", ", results)}");

        var session = await api.LoginAsync(userId);
        var message = Assert.Single(PushApi.Messages(await api.SyncAsync(session), "user:" + userId));
        Assert.Equal(results[0].Id, message.GetProperty("id").GetString());
        Assert.Equal(results[0].Seq, message.GetProperty("seq").GetInt64());
        Assert.Equal(1, system.Emulator.Stats.RestCallsFor("sendToUser") - pushesBefore);

        // A later retry still gets the first result.
        Assert.Equal(results[0], await api.SendToUserAsync(userId, "{\"once\":true}", key));
    }

    [Fact]
    public async Task Same_key_with_a_different_payload_is_422()
    {
        var api = system.Api;
        var userId = PushSystem.NewId("idem");
        var key = "key-" + Guid.NewGuid().ToString("N");
        var first = await api.SendToUserAsync(userId, "{\"v\":1}", key);

        ProblemAssert.Problem(await api.SendToUserRawAsync(userId, "{\"v\":2}", key), 422);

        var session = await api.LoginAsync(userId);
        var message = Assert.Single(PushApi.Messages(await api.SyncAsync(session), "user:" + userId));
        Assert.Equal(first.Id, message.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Same_key_for_another_user_is_a_separate_send()
    {
        var api = system.Api;
        var key = "key-" + Guid.NewGuid().ToString("N");
        var a = await api.SendToUserAsync(PushSystem.NewId("idem"), "{\"v\":1}", key);
        var b = await api.SendToUserAsync(PushSystem.NewId("idem"), "{\"v\":1}", key);
        Assert.NotEqual(a.Id, b.Id);
    }

    [Fact]
    public async Task Idempotency_key_of_128_characters_is_accepted()
    {
        var sent = await system.Api.SendToUserAsync(PushSystem.NewId("idem"), "{\"v\":1}", new string('k', 128));
        Assert.False(string.IsNullOrEmpty(sent.Id));
    }
}
