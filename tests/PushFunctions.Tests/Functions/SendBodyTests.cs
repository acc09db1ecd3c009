using System.Text;
using PushFunctions.Delivery;
using PushFunctions.Http;

namespace PushFunctions.Tests.Functions;

public class SendBodyTests
{
    [Theory]
    [InlineData("""{"payload":{"a":[1, 2,{"b":null}],"t":"x"}}""", """{"a":[1, 2,{"b":null}],"t":"x"}""")]
    [InlineData("""{ "from" : "u1" , "payload" :  "h\u00e9llo \"q\"" , "x": 1 }""", "\"h\\u00e9llo \\\"q\\\"\"")]
    [InlineData("""{"payload":"héllo ✓ 😀"}""", "\"héllo ✓ 😀\"")]
    [InlineData("""{"payload":-12.5e3}""", "-12.5e3")]
    [InlineData("""{"payload":null}""", "null")]
    [InlineData("""{"payload":[ ]}""", "[ ]")]
    [InlineData("""{"Payload":true}""", "true")]
    [InlineData("""{"payload":1,"payload":{"last":"wins"}}""", """{"last":"wins"}""")]
    public async Task A_payload_is_stored_and_pushed_as_the_exact_bytes_the_sender_wrote(string body, string payload)
    {
        var read = await JsonBody.ReadAsync<SendRequest>(Invocation.Request("POST", "/api/users/u1/messages", body));

        var send = SendValidation.Validate(StreamName.ForUser("u1"), read, idempotencyKey: null, read.Value?.From);
        Assert.Equal(payload, Encoding.UTF8.GetString(send.Message!.Payload.Span));
    }

    [Fact]
    public async Task A_payload_of_64_KiB_passes_and_one_byte_more_is_refused_with_its_size()
    {
        var limit = await ValidateAsync(new string('x', SendValidation.MaxPayloadBytes - 2));
        var over = await ValidateAsync(new string('x', SendValidation.MaxPayloadBytes - 1));

        Assert.NotNull(limit.Message);
        Assert.Equal(SendRejection.PayloadTooLarge, over.Rejection);
        Assert.StartsWith($"The payload is {SendValidation.MaxPayloadBytes + 1} bytes", over.Problem);
    }

    [Fact]
    public async Task The_same_send_has_the_same_request_hash_and_another_payload_or_sender_another()
    {
        async Task<string> HashOf(string body, string? from)
        {
            var read = await JsonBody.ReadAsync<SendRequest>(Invocation.Request("POST", "/api/users/u1/messages", body));
            return SendValidation.Validate(StreamName.ForUser("u1"), read, "key-1", from).Message!.RequestHash;
        }

        var hash = await HashOf("""{"payload":{"n":1}}""", "a");
        Assert.Equal(hash, await HashOf("""{ "payload": {"n":1} }""", "a"));
        Assert.NotEqual(hash, await HashOf("""{"payload":{"n":2}}""", "a"));
        Assert.NotEqual(hash, await HashOf("""{"payload":{"n":1}}""", "b"));
        // SHA-256 of "user:u1\na\n{"n":1}", its first 16 bytes: an idempotency record stored earlier still matches.
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("user:u1\na\n{\"n\":1}"u8), 0, 16), hash);
    }

    private static async Task<ValidatedSend> ValidateAsync(string text)
    {
        var read = await JsonBody.ReadAsync<SendRequest>(Invocation.Request("POST", "/api/broadcast", $$"""{"payload":"{{text}}"}"""));
        return SendValidation.Validate(StreamName.Broadcast, read, null, null);
    }
}
