namespace PushFunctions.Delivery;

public enum SyncStatus
{
    Synced,
    /// <summary><see cref="SyncOutcome.Stream"/> is not a stream name.</summary>
    NotAStreamName,
    /// <summary>The user may not read <see cref="SyncOutcome.Stream"/>.</summary>
    NotReadable,
    /// <summary>The cursor for <see cref="SyncOutcome.Stream"/> is below 0.</summary>
    NegativeCursor,
    /// <summary>More of this session's syncs are waiting on this instance than its rate-limit burst.</summary>
    TooManyWaiting,
}
