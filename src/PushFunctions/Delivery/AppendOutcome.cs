namespace PushFunctions.Delivery;

/// <summary>The outcome of an append; <see cref="Message"/> is set when it was stored or replayed.</summary>
public sealed record AppendOutcome(AppendStatus Status, AppendResult? Message = null);
