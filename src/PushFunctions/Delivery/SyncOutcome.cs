namespace PushFunctions.Delivery;

/// <summary>A sync's outcome: the answer, or why there is none and for which stream.</summary>
public sealed record SyncOutcome(SyncStatus Status, SyncResponse? Response = null, string? Stream = null);
