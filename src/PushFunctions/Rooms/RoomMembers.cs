namespace PushFunctions.Rooms;

public sealed record RoomMembers(long Total, long Online, IReadOnlyList<RoomMember> Members);
