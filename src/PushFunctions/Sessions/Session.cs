namespace PushFunctions.Sessions;

public sealed record Session(
    string Id,
    string UserId,
    string UserName,
    string? Device,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt);
