namespace PushFunctions.Delivery;

/// <summary>
/// Where a message landed. <see cref="Replayed"/>: an earlier request with the same idempotency key stored it.
/// <see cref="Members"/> and <see cref="Online"/> count a room's members when the message was stored (0 elsewhere).
/// <see cref="Epoch"/>: the stream's epoch when it was stored (null for a replay: nothing is pushed again).
/// </summary>
public sealed record AppendResult(string Id, long Seq, string? Epoch, DateTimeOffset SentAt, bool Replayed, long Members, long Online);
