using System.Text.Json.Serialization;

namespace PushFunctions.Delivery;

/// <summary>
/// A message as clients receive it, live (<c>message</c> event) or from sync. <see cref="Epoch"/>: the stream's epoch
/// when it was stored; a seq means something only together with it.
/// </summary>
public sealed record PushMessage(
    string Id,
    string Stream,
    long Seq,
    string? Epoch,
    string? From,
    [property: JsonConverter(typeof(RawJsonConverter))] string Payload,
    DateTimeOffset SentAt);
