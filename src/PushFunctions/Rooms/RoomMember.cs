namespace PushFunctions.Rooms;

public sealed record RoomMember(string UserId, bool Online);
