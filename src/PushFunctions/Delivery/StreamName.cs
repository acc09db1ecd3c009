using PushFunctions.Http;

namespace PushFunctions.Delivery;

/// <summary>A delivery stream: <c>user:{userId}</c>, <c>broadcast</c> or <c>room:{roomId}</c>.</summary>
public readonly record struct StreamName(StreamKind Kind, string Id)
{
    private const string UserPrefix = "user:";
    private const string RoomPrefix = "room:";
    private const string BroadcastName = "broadcast";

    public static StreamName Broadcast => new(StreamKind.Broadcast, "");
    public static StreamName ForUser(string userId) => new(StreamKind.User, userId);
    public static StreamName ForRoom(string roomId) => new(StreamKind.Room, roomId);

    public static bool TryParse(string value, out StreamName name)
    {
        name = default;
        if (value == BroadcastName) { name = Broadcast; return true; }
        if (value.StartsWith(UserPrefix, StringComparison.Ordinal) && Ids.IsValid(value[UserPrefix.Length..]))
        {
            name = ForUser(value[UserPrefix.Length..]);
            return true;
        }
        if (value.StartsWith(RoomPrefix, StringComparison.Ordinal) && Ids.IsValid(value[RoomPrefix.Length..]))
        {
            name = ForRoom(value[RoomPrefix.Length..]);
            return true;
        }
        return false;
    }

    /// <summary>The kind as metrics and logs name it: user, room, broadcast.</summary>
    public string KindName => Kind switch
    {
        StreamKind.User => "user",
        StreamKind.Room => "room",
        _ => BroadcastName,
    };

    public override string ToString() => Kind switch
    {
        StreamKind.User => UserPrefix + Id,
        StreamKind.Room => RoomPrefix + Id,
        _ => BroadcastName,
    };
}
