namespace PushFunctions.Sessions;

public sealed record LoginResponse(string SessionId, string SessionToken, string UserId, DateTimeOffset ExpiresAt);
