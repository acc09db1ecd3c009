namespace PushFunctions.Delivery;

/// <summary>
/// Where a room's members and online members are kept: Rooms keeps them, under the room stream's hash tag
/// (<see cref="StreamKeys.Tag"/>), so a room append checks its sender and counts them in the same script. Rooms
/// answers it, so that Rooms depends on Delivery and not both ways.
/// </summary>
public interface IRoomAudiences
{
    RoomAudience Of(string roomId);
}
