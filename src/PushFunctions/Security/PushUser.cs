namespace PushFunctions.Security;

/// <summary>The signed-in user behind a session token, as the front door read it from Redis.</summary>
public sealed record PushUser(string UserId, string UserName, string SessionId, DateTimeOffset SessionExpiresAt);
