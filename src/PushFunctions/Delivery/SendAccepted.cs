namespace PushFunctions.Delivery;

/// <summary>The reply to an accepted send.</summary>
public sealed record SendAccepted(string Id, string Stream, long Seq);
