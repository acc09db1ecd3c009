namespace PushFunctions.Delivery;

public sealed record SyncResponse(Dictionary<string, StreamSync> Streams);
