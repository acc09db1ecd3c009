namespace PushFunctions.Delivery;

public sealed record StreamSync(IReadOnlyList<PushMessage> Messages, long LatestSeq, string Epoch, bool Recovered, bool More);
