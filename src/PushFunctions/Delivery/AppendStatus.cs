namespace PushFunctions.Delivery;

public enum AppendStatus
{
    Stored,
    /// <summary>An earlier request with the same idempotency key stored it; nothing was stored again.</summary>
    Replayed,
    /// <summary>A room send from a user who is not a member of the room.</summary>
    SenderNotMember,
    /// <summary>The idempotency key was used in the last 24 h for a different request.</summary>
    IdempotencyKeyReused,
}
