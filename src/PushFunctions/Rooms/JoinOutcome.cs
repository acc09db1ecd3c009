namespace PushFunctions.Rooms;

/// <summary>What became of a request to add a member.</summary>
public enum JoinOutcome { Joined, NotOpen, UserHasTooManyRooms, RoomIsFull }
