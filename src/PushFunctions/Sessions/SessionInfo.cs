namespace PushFunctions.Sessions;

public sealed record SessionInfo(string SessionId, string? Device, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, int Connections);
