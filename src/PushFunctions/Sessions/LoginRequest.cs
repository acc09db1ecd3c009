namespace PushFunctions.Sessions;

public sealed record LoginRequest(string? UserId, string? UserName, string? Device, int? TtlSeconds);
