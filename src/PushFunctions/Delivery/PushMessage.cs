using System.Text.Json.Serialization;

namespace PushFunctions.Delivery;

/// <summary>
/// A message as clients receive it, live (<c>message</c> event) or from sync. <see cref="Epoch"/>: the stream's epoch
/// when it was stored; a seq means something only together with it. <see cref="Payload"/>: the sender's JSON as UTF-8.
/// </summary>
public sealed record PushMessage(
    string Id,
    string Stream,
    long Seq,
    string? Epoch,
    string? From,
    [property: JsonConverter(typeof(RawJsonConverter))] ReadOnlyMemory<byte> Payload,
    DateTimeOffset SentAt);
