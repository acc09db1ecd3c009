namespace PushFunctions.Rooms;

/// <summary>The body of <c>PUT /api/rooms/{roomId}</c>: <c>"open"</c> or <c>"members"</c>.</summary>
public sealed record RoomSettings(string? Policy);
