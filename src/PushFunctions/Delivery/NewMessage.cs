namespace PushFunctions.Delivery;

/// <summary>
/// A new message for a stream: what the sender gave, and the sender's optional idempotency key. <see cref="Payload"/>:
/// the payload's JSON as UTF-8, as the sender wrote it (a slice of the request body).
/// <see cref="SenderMustBeMember"/>: a room send from a user's session, refused unless <see cref="From"/> is a member.
/// </summary>
public sealed record NewMessage(string? From, ReadOnlyMemory<byte> Payload, string? IdempotencyKey, string RequestHash, bool SenderMustBeMember = false);
