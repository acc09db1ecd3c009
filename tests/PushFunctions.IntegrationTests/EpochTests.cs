using System.Net;
using System.Text.Json;
using PushFunctions.IntegrationTests.Support;
using StackExchange.Redis;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// When Redis loses data a stream starts again (new epoch) or goes back a few seqs; sync tells the two
/// apart from a stream that moved on. The losses are made in the real Redis, one stream at a time, so these tests
/// run beside the others.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class EpochTests(PushSystem system) : IAsyncLifetime
{
    private PushApi Api => system.Api;
    private ConnectionMultiplexer redis = null!;

    public async Task InitializeAsync() => redis = await ConnectionMultiplexer.ConnectAsync(system.Redis.ConnectionString);

    public Task DisposeAsync()
    {
        redis.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Every_stream_in_a_sync_answer_and_every_message_live_and_synced_carries_the_stream_epoch()
    {
        var userId = PushSystem.NewId("ep");
        var session = await Api.LoginAsync(userId);
        await using var tab = await system.ConnectAsync(session);
        var sent = await Api.SendToUserAsync(userId, "{\"n\":1}");

        var live = (await tab.WaitForAsync("message", m => m.Argument.GetProperty("id").GetString() == sent.Id)).Argument;
        var sync = await Api.SyncAsync(session, $"{{\"user:{userId}\":0}}");
        var streams = sync.GetProperty("streams");
        var epoch = streams.GetProperty("user:" + userId).GetProperty("epoch").GetString();
        Assert.False(string.IsNullOrEmpty(epoch));
        Assert.True(epoch!.Length <= 16, $"epoch '{epoch}' is short");
        Assert.Equal(epoch, live.GetProperty("epoch").GetString());
        Assert.Equal(epoch, Assert.Single(PushApi.Messages(sync, "user:" + userId)).GetProperty("epoch").GetString());
        Assert.False(string.IsNullOrEmpty(streams.GetProperty("broadcast").GetProperty("epoch").GetString()), "an empty or shared stream has an epoch too");
    }

    [Fact]
    public async Task A_cursor_as_a_number_or_as_seq_and_epoch_reads_after_it_as_before()
    {
        var (userId, stream, session, sent, epoch) = await UserWithThreeMessagesAsync();

        var byNumber = await Api.SyncAsync(session, $"{{\"{stream}\":1}}");
        var byObject = await Api.SyncAsync(session, $"{{\"{stream}\":{{\"seq\":1,\"epoch\":\"{epoch}\",\"id\":\"{sent[0].Id}\"}}}}");
        foreach (var answer in new[] { byNumber, byObject })
        {
            Assert.Equal([sent[1].Id, sent[2].Id], Ids(answer, stream));
            Assert.True(answer.GetProperty("streams").GetProperty(stream).GetProperty("recovered").GetBoolean());
        }
    }

    [Fact]
    public async Task After_Redis_lost_a_stream_a_cursor_of_the_old_epoch_gets_the_new_messages_from_the_start_with_recovered_false()
    {
        var (userId, stream, session, _, oldEpoch) = await UserWithThreeMessagesAsync();

        await LoseStreamAsync(stream);
        var fresh = new[] { await Api.SendToUserAsync(userId, "{\"n\":4}"), await Api.SendToUserAsync(userId, "{\"n\":5}") };
        Assert.Equal([1L, 2L], fresh.Select(s => s.Seq));

        var answer = await Api.SyncAsync(session, $"{{\"{stream}\":{{\"seq\":3,\"epoch\":\"{oldEpoch}\"}}}}");
        var page = answer.GetProperty("streams").GetProperty(stream);
        Assert.Equal(fresh.Select(s => s.Id), Ids(answer, stream));
        Assert.False(page.GetProperty("recovered").GetBoolean());
        Assert.NotEqual(oldEpoch, page.GetProperty("epoch").GetString());
        Assert.Equal(2, page.GetProperty("latestSeq").GetInt64());
    }

    [Fact]
    public async Task A_cursor_ahead_of_the_stream_after_Redis_lost_its_newest_writes_is_answered_from_the_start_with_recovered_false()
    {
        var (userId, stream, session, sent, epoch) = await UserWithThreeMessagesAsync();

        await LoseNewestAsync(stream, 2);
        var answer = await Api.SyncAsync(session, $"{{\"{stream}\":{{\"seq\":3,\"epoch\":\"{epoch}\"}}}}");
        var page = answer.GetProperty("streams").GetProperty(stream);
        Assert.Equal([sent[0].Id], Ids(answer, stream));
        Assert.False(page.GetProperty("recovered").GetBoolean());
        Assert.Equal(1, page.GetProperty("latestSeq").GetInt64());
        Assert.Equal(epoch, page.GetProperty("epoch").GetString());

        // The counter went back: the next send reuses seq 2, with a new id.
        var next = await Api.SendToUserAsync(userId, "{\"n\":4}");
        Assert.Equal(2, next.Seq);
        Assert.NotEqual(sent[1].Id, next.Id);
    }

    [Fact]
    public async Task A_cursor_whose_seq_now_holds_another_message_is_answered_from_the_start_with_recovered_false()
    {
        var (userId, stream, session, sent, epoch) = await UserWithThreeMessagesAsync();

        await LoseNewestAsync(stream, 2);
        var fresh = new List<Sent>();
        for (var i = 4; i <= 6; i++) fresh.Add(await Api.SendToUserAsync(userId, $"{{\"n\":{i}}}"));
        Assert.Equal([2L, 3L, 4L], fresh.Select(s => s.Seq));

        // Without the id, seq 3 looks fine and only seq 4 would come back.
        var answer = await Api.SyncAsync(session, $"{{\"{stream}\":{{\"seq\":3,\"epoch\":\"{epoch}\",\"id\":\"{sent[2].Id}\"}}}}");
        Assert.Equal([sent[0].Id, .. fresh.Select(s => s.Id)], Ids(answer, stream));
        Assert.False(answer.GetProperty("streams").GetProperty(stream).GetProperty("recovered").GetBoolean());
    }

    [Fact]
    public async Task A_fresh_device_after_Redis_lost_a_stream_starts_from_the_new_epoch_not_from_the_old_server_cursor()
    {
        var userId = PushSystem.NewId("ep");
        var stream = "user:" + userId;
        var laptop = await Api.LoginAsync(userId, "laptop");
        for (var i = 1; i <= 3; i++) await Api.SendToUserAsync(userId, $"{{\"n\":{i}}}");
        Assert.Equal(3, Ids(await Api.SyncAsync(laptop), stream).Count); // the server cursor is at 3 now

        await LoseStreamAsync(stream);
        var fresh = await Api.SendToUserAsync(userId, "{\"n\":4}");
        var phone = await Api.LoginAsync(userId, "phone");
        var answer = await Api.SyncAsync(phone);
        Assert.Equal([fresh.Id], Ids(answer, stream));
        Assert.False(answer.GetProperty("streams").GetProperty(stream).GetProperty("recovered").GetBoolean());
        // And the server cursor moved to the new epoch: the next fresh device has nothing left to get.
        Assert.Empty(Ids(await Api.SyncAsync(await Api.LoginAsync(userId, "tablet")), stream));
    }

    [Fact]
    public async Task A_server_cursor_ahead_of_the_stream_is_set_back_so_new_messages_at_reused_seqs_reach_a_fresh_device()
    {
        var userId = PushSystem.NewId("ep");
        var stream = "user:" + userId;
        var laptop = await Api.LoginAsync(userId, "laptop");
        for (var i = 1; i <= 3; i++) await Api.SendToUserAsync(userId, $"{{\"n\":{i}}}");
        await Api.SyncAsync(laptop); // the server cursor is at 3

        await LoseNewestAsync(stream, 2);
        Assert.Single(Ids(await Api.SyncAsync(await Api.LoginAsync(userId, "phone")), stream)); // from the start: seq 1
        var fresh = await Api.SendToUserAsync(userId, "{\"n\":4}");
        Assert.Equal(2, fresh.Seq);
        Assert.Equal([fresh.Id], Ids(await Api.SyncAsync(await Api.LoginAsync(userId, "tablet")), stream));
    }

    [Theory]
    [InlineData("{\"seq\":\"3\",\"epoch\":\"e\"}", "a seq in a string")]
    [InlineData("{\"epoch\":\"e\"}", "no seq")]
    [InlineData("{\"seq\":1,\"epoch\":5}", "an epoch that is not a string")]
    [InlineData("{\"seq\":1.5}", "a fractional seq")]
    [InlineData("[1]", "an array")]
    [InlineData("\"1\"", "a number in a string")]
    public async Task A_malformed_cursor_is_400_problem_json(string cursor, string what)
    {
        var session = await Api.LoginAsync(PushSystem.NewId("ep"));
        var response = await Api.CallAsync(HttpMethod.Post, "/api/sync", Credential.Session(session.Token), $"{{\"cursors\":{{\"broadcast\":{cursor}}}}}");
        Assert.True(response.Status == HttpStatusCode.BadRequest, $"{what}: {response}");
        Assert.Equal("application/problem+json", response.MediaType);
    }

    [Fact]
    public async Task A_negative_seq_in_a_cursor_object_is_400_naming_the_stream()
    {
        var session = await Api.LoginAsync(PushSystem.NewId("ep"));
        var response = await Api.CallAsync(HttpMethod.Post, "/api/sync", Credential.Session(session.Token), "{\"cursors\":{\"broadcast\":{\"seq\":-1,\"epoch\":\"e\"}}}");
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains("'broadcast'", response.ProblemTitle);
    }

    /// <summary>A new user, signed in, with three private messages (seq 1 to 3) and their stream's epoch.</summary>
    private async Task<(string UserId, string Stream, Session Session, IReadOnlyList<Sent> Sent, string Epoch)> UserWithThreeMessagesAsync()
    {
        var userId = PushSystem.NewId("ep");
        var stream = "user:" + userId;
        var session = await Api.LoginAsync(userId);
        var sent = new List<Sent>();
        for (var i = 1; i <= 3; i++) sent.Add(await Api.SendToUserAsync(userId, $"{{\"n\":{i}}}"));
        return (userId, stream, session, sent, await EpochOf(session, stream));
    }

    private async Task<string> EpochOf(Session session, string stream) =>
        (await Api.SyncAsync(session, $"{{\"{stream}\":0}}")).GetProperty("streams").GetProperty(stream).GetProperty("epoch").GetString()!;

    private static List<string?> Ids(JsonElement sync, string stream) => [.. PushApi.Messages(sync, stream).Select(m => m.GetProperty("id").GetString())];

    private static string Tag(string stream) => $"pf:{{{stream}}}";

    /// <summary>What a restart without persistence does to one stream: its entries, counter and epoch are gone.</summary>
    private Task LoseStreamAsync(string stream) =>
        redis.GetDatabase().KeyDeleteAsync([Tag(stream) + ":s", Tag(stream) + ":seq", Tag(stream) + ":epoch"]);

    /// <summary>What a replica that had not caught up leaves: the newest k entries gone and the counter back by k.</summary>
    private Task LoseNewestAsync(string stream, int k) =>
        redis.GetDatabase().ScriptEvaluateAsync("""
            local stream_key, seq_key, k = KEYS[1], KEYS[2], tonumber(ARGV[1])
            local newest = redis.call('XREVRANGE', stream_key, '+', '-', 'COUNT', k)
            for _, entry in ipairs(newest) do redis.call('XDEL', stream_key, entry[1]) end
            local seq = redis.call('DECRBY', seq_key, k)
            redis.call('XSETID', stream_key, seq .. '-0')
            return seq
            """, [Tag(stream) + ":s", Tag(stream) + ":seq"], [k]);
}
