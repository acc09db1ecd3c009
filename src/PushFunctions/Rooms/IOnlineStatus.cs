namespace PushFunctions.Rooms;

/// <summary>
/// Whether a user is online now, so that a new member counts in the room's online set at once. Presence answers
/// it (and keeps the rooms' online sets after that), so that Presence depends on Rooms and not both ways.
/// </summary>
public interface IOnlineStatus
{
    Task<bool> IsOnlineAsync(string userId);
}
