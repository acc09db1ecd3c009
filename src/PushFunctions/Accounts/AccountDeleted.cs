namespace PushFunctions.Accounts;

public sealed record AccountDeleted(int SessionsRevoked, int ConnectionsClosed);
