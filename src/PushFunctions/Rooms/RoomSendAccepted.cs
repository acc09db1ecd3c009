namespace PushFunctions.Rooms;

public sealed record RoomSendAccepted(string Id, string Stream, long Seq, long Total, long Online);
