using StackExchange.Redis;

namespace PushFunctions.Delivery;

/// <summary>
/// The sets a room append checks its sender against and counts with the message (a room message's total and
/// online): the room's members and its online members, under the room stream's hash tag so that one script reads
/// them with the append.
/// </summary>
public sealed record RoomAudience(RedisKey Members, RedisKey Online);
