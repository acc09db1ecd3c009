namespace PushFunctions.Health;

public sealed record HealthReport(string Status, string Redis, string SignalR);
