using PushFunctions.Delivery;

namespace PushFunctions.Rooms;

/// <summary>The live <c>room_message</c> event: a message plus the room's members (<see cref="Total"/>) and how many are online.</summary>
public sealed record RoomMessageEvent(string Id, string Stream, long Seq, string? Epoch, string? From,
    [property: System.Text.Json.Serialization.JsonConverter(typeof(RawJsonConverter))] ReadOnlyMemory<byte> Payload,
    DateTimeOffset SentAt, string RoomId, long Total, long Online);
