namespace PushFunctions.Delivery;

/// <summary>
/// The rooms a user may read, each with the room seq at which they joined (they read the room from there). Rooms
/// answers it, so that Rooms depends on Delivery and not both ways.
/// </summary>
public interface IRoomMemberships
{
    Task<IReadOnlyDictionary<string, long>> RoomsOfAsync(string userId);
}
