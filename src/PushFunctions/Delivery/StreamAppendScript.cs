using StackExchange.Redis;
using PushFunctions.Redis;

namespace PushFunctions.Delivery;

/// <summary>stream_append.lua: stores one message in its stream (what it checks and keeps: the script's header).</summary>
public sealed class StreamAppendScript() : RedisScript<StreamAppendScript.Input, StreamAppendScript.Reply>("stream_functions.lua", "stream_append.lua")
{
    /// <param name="Room">A room append's member sets; null for a user or broadcast stream.</param>
    /// <param name="Payload">The payload's JSON, stored as its UTF-8 bytes (the app hands the request body's own).</param>
    /// <param name="NewEpoch">Used only if the stream's counter does not exist yet.</param>
    /// <param name="Idempotency">The sender's Idempotency-Key; null without one.</param>
    /// <param name="RequiredMember">A room append from a session: the user who must be a member (null for the server).</param>
    public sealed record Input(
        StreamKeys Keys, RoomAudience? Room, string Id, string? From, RedisValue Payload, DateTimeOffset Now,
        long MaxLength, TimeSpan MaxAge, string NewEpoch, IdempotencyKey? Idempotency, string? RequiredMember);

    /// <param name="Field">The record's field: <c>{from}:{key}</c>, so two senders' keys never meet.</param>
    /// <param name="RequestHash">Identifies the request, so a key reused for another request is caught.</param>
    /// <param name="Window">How long the record answers for the key.</param>
    public sealed record IdempotencyKey(string Field, string RequestHash, TimeSpan Window);

    /// <summary>What the script answered. Members and Online count a room's members and online members (0 elsewhere).</summary>
    public abstract record Reply
    {
        public sealed record Stored(long Seq, string Epoch, long Members, long Online) : Reply;

        /// <summary>An earlier request with the same idempotency key stored message <see cref="Id"/> at <see cref="Seq"/>.</summary>
        public sealed record Replayed(string Id, long Seq, long Members, long Online) : Reply;

        /// <summary>The idempotency key came with another request within its window.</summary>
        public sealed record KeyReused : Reply;

        public sealed record NotAMember : Reply;
    }

    protected override RedisKey[] Keys(Input input) => input.Room is { } room
        ? [input.Keys.Stream, input.Keys.Seq, input.Keys.Epoch, input.Keys.Idempotency, input.Keys.IdempotencyOrder, room.Members, room.Online]
        : input.Keys.All;

    protected override RedisValue[] Arguments(Input input) =>
    [
        input.Id, input.From ?? "", input.Payload, input.Now.ToUnixTimeMilliseconds(), input.MaxLength, (long)input.MaxAge.TotalMilliseconds,
        input.NewEpoch, input.Idempotency?.Field ?? "", (long)(input.Idempotency?.Window.TotalMilliseconds ?? 0),
        input.Idempotency?.RequestHash ?? "", input.RequiredMember ?? "",
    ];

    protected override Reply Read(RedisResult reply)
    {
        var fields = new ScriptMap(reply);
        if (fields.Is("status"u8, "stored"u8))
            return new Reply.Stored((long)fields["seq"u8], (string)fields["epoch"u8]!, (long)fields["members"u8], (long)fields["online"u8]);
        if (fields.Is("status"u8, "replayed"u8))
            return new Reply.Replayed((string)fields["id"u8]!, (long)fields["seq"u8], (long)fields["members"u8], (long)fields["online"u8]);
        if (fields.Is("status"u8, "key_reused"u8)) return new Reply.KeyReused();
        if (fields.Is("status"u8, "not_member"u8)) return new Reply.NotAMember();
        throw new InvalidOperationException($"stream_append.lua answered an unknown status '{(string?)fields["status"u8]}'.");
    }
}
