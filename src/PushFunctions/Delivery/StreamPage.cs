namespace PushFunctions.Delivery;

/// <summary>
/// A page of a stream: the messages after a cursor, and where the stream stands. <see cref="Restarted"/>: the
/// cursor was from another epoch or ahead of the stream, so the page starts over instead.
/// </summary>
public sealed record StreamPage(long LatestSeq, long OldestRetainedSeq, string Epoch, bool Restarted, IReadOnlyList<PushMessage> Messages);
