namespace PushFunctions.Delivery;

/// <summary>Where a sync left a user in a stream, for <see cref="SyncCursors.AdvanceAsync"/>.</summary>
public sealed record CursorMove(string Stream, StreamPosition To, long LatestSeq);
