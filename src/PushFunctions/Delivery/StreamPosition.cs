namespace PushFunctions.Delivery;

/// <summary>
/// A position in a stream: a seq, the epoch it was taken in, and the id of the message at that seq (each null when
/// not known). The id tells a seq that Redis lost and used again for another message.
/// </summary>
public readonly record struct StreamPosition(long Seq, string? Epoch, string? Id = null);
