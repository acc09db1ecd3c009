namespace PushFunctions.Sessions;

public sealed record SessionList(IReadOnlyList<SessionInfo> Sessions);
