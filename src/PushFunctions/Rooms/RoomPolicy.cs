namespace PushFunctions.Rooms;

/// <summary>Who may join a room by themselves: anyone with a session (<see cref="Open"/>), or only users the main backend adds.</summary>
public enum RoomPolicy { Members, Open }
