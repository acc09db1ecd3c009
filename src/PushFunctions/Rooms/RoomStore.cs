using StackExchange.Redis;
using PushFunctions.Delivery;
using PushFunctions.Redis;

namespace PushFunctions.Rooms;

/// <summary>
/// Room membership as Redis sets (no read-modify-write of a joined string): the room's members and its online
/// members under the room stream's hash tag, where a room append counts them atomically; and each user's rooms,
/// with the room seq at which they joined (they read the room from there).
/// </summary>
public sealed class RoomStore(RedisConnection redis) : IRoomMemberships, IRoomAudiences
{
    private static string Tag(string roomId) => StreamKeys.Tag(StreamName.ForRoom(roomId));
    private static RedisKey MembersKey(string roomId) => Tag(roomId) + ":members";
    private static RedisKey OnlineMembersKey(string roomId) => Tag(roomId) + ":online";
    private static RedisKey PolicyKey(string roomId) => Tag(roomId) + ":policy";
    private static RedisKey UserRoomsKey(string userId) => $"pf:{{user:{userId}}}:rooms";
    private static RedisKey GroupsInStepKey(string userId) => $"pf:{{user:{userId}}}:groups-in-step";
    private const string OpenPolicy = "open";

    public RoomAudience Of(string roomId) => new(MembersKey(roomId), OnlineMembersKey(roomId));

    /// <summary>Every room is <see cref="RoomPolicy.Members"/> until the main backend opens it; only open rooms are stored.</summary>
    public Task SetPolicyAsync(string roomId, RoomPolicy policy) => policy == RoomPolicy.Open
        ? redis.Database.StringSetAsync(PolicyKey(roomId), OpenPolicy)
        : redis.Database.KeyDeleteAsync(PolicyKey(roomId));

    public async Task<RoomPolicy> PolicyAsync(string roomId) =>
        await redis.Database.StringGetAsync(PolicyKey(roomId)) == OpenPolicy ? RoomPolicy.Open : RoomPolicy.Members;

    /// <summary>Adds the member; returns false when they already were one (their join point stays).</summary>
    public async Task<bool> AddAsync(string roomId, string userId, bool online, long joinSeq)
    {
        var db = redis.Database;
        var joinedAt = db.HashSetAsync(UserRoomsKey(userId), roomId, joinSeq, When.NotExists);
        var added = db.SetAddAsync(MembersKey(roomId), userId);
        var onlineChange = online ? db.SetAddAsync(OnlineMembersKey(roomId), userId) : db.SetRemoveAsync(OnlineMembersKey(roomId), userId);
        await Task.WhenAll(joinedAt, added, onlineChange);
        return added.Result;
    }

    public Task RemoveAsync(string roomId, string userId)
    {
        var db = redis.Database;
        return Task.WhenAll(
            db.SetRemoveAsync(MembersKey(roomId), userId),
            db.SetRemoveAsync(OnlineMembersKey(roomId), userId),
            db.HashDeleteAsync(UserRoomsKey(userId), roomId));
    }

    /// <summary>How many rooms the user is in, and how many members the room has.</summary>
    public async Task<(long RoomsOfUser, long MembersOfRoom)> CountsAsync(string roomId, string userId)
    {
        var db = redis.Database;
        var roomsOfUser = db.HashLengthAsync(UserRoomsKey(userId));
        var membersOfRoom = db.SetLengthAsync(MembersKey(roomId));
        return (await roomsOfUser, await membersOfRoom);
    }

    public Task<bool> IsMemberAsync(string roomId, string userId) => redis.Database.SetContainsAsync(MembersKey(roomId), userId);

    /// <summary>The user's rooms and the room seq each was joined at.</summary>
    public async Task<IReadOnlyDictionary<string, long>> RoomsOfAsync(string userId)
    {
        var entries = await redis.Database.HashGetAllAsync(UserRoomsKey(userId));
        return entries.ToDictionary(e => (string)e.Name!, e => (long)e.Value);
    }

    public async Task<IReadOnlyList<RoomMember>> MembersAsync(string roomId)
    {
        var db = redis.Database;
        var members = db.SetMembersAsync(MembersKey(roomId));
        var online = db.SetMembersAsync(OnlineMembersKey(roomId));
        await Task.WhenAll(members, online);
        var onlineSet = online.Result.Select(v => (string)v!).ToHashSet(StringComparer.Ordinal);
        return members.Result.Select(v => (string)v!).Order(StringComparer.Ordinal)
            .Select(id => new RoomMember(id, onlineSet.Contains(id))).ToList();
    }

    /// <summary>Mirrors a user's presence into the online sets of their rooms, so room sends count online members in O(1).</summary>
    public async Task SetOnlineAsync(string userId, bool online)
    {
        var db = redis.Database;
        var rooms = await db.HashKeysAsync(UserRoomsKey(userId));
        await Task.WhenAll(rooms.Select(room => online
            ? db.SetAddAsync(OnlineMembersKey(room!), userId)
            : db.SetRemoveAsync(OnlineMembersKey(room!), userId)));
    }

    /// <summary>
    /// Whether SignalR Service holds exactly the user's rooms as the user's group memberships, as far as the app knows:
    /// recorded after every room was asserted there, forgotten when a membership call failed. Lost with the rest when
    /// Redis loses data, which is the point: then the service may hold memberships Redis no longer has, or lack ones it has.
    /// </summary>
    public async Task<bool> GroupsInStepAsync(string userId) => await redis.Database.KeyExistsAsync(GroupsInStepKey(userId));

    public Task MarkGroupsInStepAsync(string userId) => redis.Database.StringSetAsync(GroupsInStepKey(userId), "1");

    public Task ForgetGroupsInStepAsync(string userId) => redis.Database.KeyDeleteAsync(GroupsInStepKey(userId));

    /// <summary>Removes the user from every room.</summary>
    public async Task RemoveFromAllAsync(string userId)
    {
        var db = redis.Database;
        var rooms = await db.HashKeysAsync(UserRoomsKey(userId));
        await Task.WhenAll(rooms.SelectMany(room => new Task[]
        {
            db.SetRemoveAsync(MembersKey(room!), userId),
            db.SetRemoveAsync(OnlineMembersKey(room!), userId),
        }));
        await db.KeyDeleteAsync([UserRoomsKey(userId), GroupsInStepKey(userId)]);
    }
}
