using System.Net;
using System.Text.Json;
using PushFunctions.IntegrationTests.Support;

namespace PushFunctions.IntegrationTests;

/// <summary>Private messages live through the emulator to every connection of the user, and from the stream by sync.</summary>
[Collection(SystemCollection.Name)]
public sealed class DeliveryTests(PushSystem system)
{
    private PushApi Api => system.Api;

    [Fact]
    public async Task User_with_two_connections_gets_a_private_message_on_both_and_another_user_gets_none()
    {
        var alice = PushSystem.NewId("alice");
        var bob = PushSystem.NewId("bob");
        await using var aliceLaptop = await system.ConnectAsync(await Api.LoginAsync(alice, "laptop"));
        await using var alicePhone = await system.ConnectAsync(await Api.LoginAsync(alice, "phone"));
        await using var bobTab = await system.ConnectAsync(await Api.LoginAsync(bob, "tablet"));

        var marker = Guid.NewGuid().ToString("N");
        var sent = await Api.SendToUserAsync(alice, $"{{\"text\":\"for alice\",\"marker\":\"{marker}\"}}");
        Assert.Equal("user:" + alice, sent.Stream);

        foreach (var connection in new[] { aliceLaptop, alicePhone })
        {
            var message = (await connection.WaitForAsync("message", m => HasMarker(m, marker))).Argument;
            Assert.Equal(sent.Id, message.GetProperty("id").GetString());
            Assert.Equal(sent.Stream, message.GetProperty("stream").GetString());
            Assert.Equal(sent.Seq, message.GetProperty("seq").GetInt64());
            Assert.Equal("for alice", message.GetProperty("payload").GetProperty("text").GetString());
        }

        // A fence: Bob's own message is sent after Alice's; once it arrived, Alice's would have too.
        var fence = Guid.NewGuid().ToString("N");
        await Api.SendToUserAsync(bob, $"{{\"marker\":\"{fence}\"}}");
        await bobTab.WaitForAsync("message", m => HasMarker(m, fence));
        Assert.False(bobTab.HasReceived("message", m => HasMarker(m, marker)), "Bob received Alice's private message");
        Assert.DoesNotContain(bobTab.Received, m => m.Target == "message" && m.Argument.GetProperty("stream").GetString() == "user:" + alice);
        Assert.False(aliceLaptop.HasReceived("message", m => HasMarker(m, fence)), "Alice received Bob's private message");
    }

    [Fact]
    public async Task Offline_user_gets_three_missed_messages_in_order_once_via_sync_on_a_fresh_device()
    {
        var userId = PushSystem.NewId("offline");
        var stream = "user:" + userId;
        var sent = new List<Sent>();
        for (var i = 1; i <= 3; i++) sent.Add(await Api.SendToUserAsync(userId, $"{{\"n\":{i}}}"));

        // A fresh device: signed in after the sends, no cursor of its own.
        var laptop = await Api.LoginAsync(userId, "laptop");
        var first = await Api.SyncAsync(laptop);
        var messages = PushApi.Messages(first, stream);
        Assert.Equal([1, 2, 3], messages.Select(m => m.GetProperty("payload").GetProperty("n").GetInt32()));
        Assert.Equal(sent.Select(s => s.Id), messages.Select(m => m.GetProperty("id").GetString()));
        Assert.Equal(sent.Select(s => s.Seq), messages.Select(m => m.GetProperty("seq").GetInt64()));
        Assert.True(messages.Zip(messages.Skip(1)).All(p => p.First.GetProperty("seq").GetInt64() < p.Second.GetProperty("seq").GetInt64()));
        Assert.All(messages, m => Assert.Equal(stream, m.GetProperty("stream").GetString()));

        // Once: the same device again, and another fresh device, get none of them.
        Assert.Empty(PushApi.Messages(await Api.SyncAsync(laptop), stream));
        var phone = await Api.LoginAsync(userId, "phone");
        Assert.Empty(PushApi.Messages(await Api.SyncAsync(phone), stream));

        // A device that says "from the start" (cursor 0) still can read them: the stream is the truth.
        var replay = PushApi.Messages(await Api.SyncAsync(phone, $"{{\"{stream}\":0}}"), stream);
        Assert.Equal(sent.Select(s => s.Id), replay.Select(m => m.GetProperty("id").GetString()));
    }

    /// <summary>Payload strings are any JSON strings: what goes in comes back out, code unit for code unit.</summary>
    public static TheoryData<string> UnicodePayloads() => Cases.Of(
        "\"emoji 😀 and a flag 🇪🇺 and a family 👨‍👩‍👧\"",
        "\"escaped emoji \\ud83d\\ude00\"",
        "\"RTL: \\u202eabc\\u202c and Arabic مرحبا and Hebrew שלום\"",
        "\"NUL in the middle: a\\u0000b\"",
        "\"lone high surrogate: \\ud800 end\"",
        "\"lone low surrogate: \\udc00 end\"",
        "\"reversed pair: \\udc00\\ud800\"",
        "{\"k😀\":\"v\\u0000\",\"list\":[\"\\ud800\",\"\\u202e\",\"é\",\"e\\u0301\"]}",
        "\"BOM \\ufeff and noncharacter \\uffff and line separator \\u2028\"");

    [Theory]
    [MemberData(nameof(UnicodePayloads))]
    public async Task Unicode_in_payload_strings_is_accepted_and_round_tripped_exactly_through_sync(string payloadJson)
    {
        var userId = PushSystem.NewId("uni");
        var response = await Api.SendToUserRawAsync(userId, payloadJson);
        Assert.True(response.Status == HttpStatusCode.Accepted, response.ToString());
        var sent = Sent.From(response);

        var session = await Api.LoginAsync(userId);
        var messages = PushApi.Messages(await Api.SyncAsync(session), "user:" + userId);
        var message = Assert.Single(messages);
        Assert.Equal(sent.Id, message.GetProperty("id").GetString());
        var received = message.GetProperty("payload").GetRawText();
        Assert.True(JsonText.Equivalent(payloadJson, received, out var difference), $"payload changed: {difference}\nsent {payloadJson}\ngot  {received}");
    }

    private static bool HasMarker(Pushed pushed, string marker) =>
        pushed.Argument.TryGetProperty("payload", out var payload)
        && payload.ValueKind == JsonValueKind.Object
        && payload.TryGetProperty("marker", out var value)
        && value.GetString() == marker;
}
