using Microsoft.Extensions.Options;
using PushFunctions.Configuration;
using PushFunctions.Delivery;
using PushFunctions.SignalR;

namespace PushFunctions.Rooms;

/// <summary>
/// Membership changes, kept in step in Redis (the truth, for counts and sync) and in SignalR Service user-group
/// membership (so live room messages reach every device of every member, including devices that connect later).
/// </summary>
public sealed class RoomService(
    RoomStore rooms, StreamStore streams, SyncCursors cursors, IOnlineStatus presence, ISignalRService signalR,
    GroupRestoreQueue restores, IOptions<LimitsOptions> limits, ILogger<RoomService> logger)
{
    /// <summary>About two minutes of retries in all (the service is often just restarting).</summary>
    private static readonly TimeSpan[] RestoreRetryDelays = [.. new[] { 1, 2, 4, 8, 15, 30, 30, 30 }.Select(s => TimeSpan.FromSeconds(s))];
    private const int RestoreBatchSize = 100;

    /// <summary>
    /// Idempotent; a new member reads the room from the messages sent after they joined. The limits are checked
    /// before adding (the user's rooms and the room's members live in two hash slots): concurrent adds can pass
    /// them by the few that raced.
    /// </summary>
    public async Task<JoinOutcome> JoinAsync(string roomId, string userId) =>
        await rooms.IsMemberAsync(roomId, userId) ? JoinOutcome.Joined : await AddNewMemberAsync(roomId, userId);

    /// <summary>
    /// A user joining by themselves: allowed in an open room, and harmless when they already are a member;
    /// otherwise the main backend decides (<see cref="JoinAsync"/>).
    /// </summary>
    public async Task<JoinOutcome> JoinByUserAsync(string roomId, string userId)
    {
        if (await rooms.IsMemberAsync(roomId, userId)) return JoinOutcome.Joined;
        if (await rooms.PolicyAsync(roomId) != RoomPolicy.Open) return JoinOutcome.NotOpen;
        return await AddNewMemberAsync(roomId, userId);
    }

    private async Task<JoinOutcome> AddNewMemberAsync(string roomId, string userId)
    {
        var counts = await rooms.CountsAsync(roomId, userId);
        if (counts.RoomsOfUser >= limits.Value.RoomsPerUser) return JoinOutcome.UserHasTooManyRooms;
        if (counts.MembersOfRoom >= limits.Value.MembersPerRoom) return JoinOutcome.RoomIsFull;

        var joinSeq = await streams.LatestSeqAsync(StreamName.ForRoom(roomId));
        await rooms.AddAsync(roomId, userId, await presence.IsOnlineAsync(userId), joinSeq);
        await signalR.AddUserToGroupAsync(userId, Publisher.RoomGroup(roomId));
        return JoinOutcome.Joined;
    }

    /// <summary>
    /// Re-asserts the user's room groups in SignalR Service. Called on every new connection because the service
    /// keeps at most 100 groups per user and a restarted emulator keeps none; Redis is the truth.
    /// </summary>
    public async Task RestoreGroupsAsync(string userId)
    {
        var memberOf = (await rooms.RoomsOfAsync(userId)).Keys;
        await Task.WhenAll(memberOf.Select(roomId => signalR.AddUserToGroupAsync(userId, Publisher.RoomGroup(roomId))));

        // A leave that landed between our read and our adds removed the group before we re-added it: undo
        // those adds. A leave after this second read removes the group itself, after our adds.
        var stillMemberOf = (await rooms.RoomsOfAsync(userId)).Keys.ToHashSet(StringComparer.Ordinal);
        await Task.WhenAll(memberOf.Where(roomId => !stillMemberOf.Contains(roomId))
            .Select(roomId => signalR.RemoveUserFromGroupAsync(userId, Publisher.RoomGroup(roomId))));
    }

    /// <summary>
    /// Restores the user's groups on a new connection. Until they are back, live room messages miss this user
    /// and nothing shows them a gap, so a failure is queued for <see cref="RetryDueRestoresAsync"/> rather than
    /// left for their next reconnect.
    /// </summary>
    public async Task RestoreGroupsOrRetryLaterAsync(string userId)
    {
        if (await TryRestoreGroupsAsync(userId, attempt: 0)) return;
        await restores.FailedAsync(userId, RestoreRetryDelays[0]);
    }

    /// <summary>Retries the restores that are due; run by a timer on whichever instance is alive.</summary>
    public async Task RetryDueRestoresAsync()
    {
        foreach (var pending in await restores.DueAsync(RestoreBatchSize))
        {
            if (await TryRestoreGroupsAsync(pending.UserId, pending.Attempts))
            {
                await restores.DoneAsync(pending.UserId);
            }
            else if (pending.Attempts >= RestoreRetryDelays.Length)
            {
                logger.LogError("Gave up restoring the room groups of user {UserId}; their room messages arrive by sync on their next reconnect", pending.UserId);
                await restores.DoneAsync(pending.UserId);
            }
            else
            {
                await restores.FailedAsync(pending.UserId, RestoreRetryDelays[pending.Attempts]);
            }
        }
    }

    private async Task<bool> TryRestoreGroupsAsync(string userId, int attempt)
    {
        try
        {
            await RestoreGroupsAsync(userId);
            return true;
        }
        catch (Exception e) when (e is SignalRException or StackExchange.Redis.RedisException)
        {
            logger.LogWarning("Could not restore the room groups of user {UserId} (attempt {Attempt}); retrying. {Problem}", userId, attempt + 1, e.Message);
            return false;
        }
    }

    /// <summary>Idempotent.</summary>
    public async Task LeaveAsync(string roomId, string userId)
    {
        await rooms.RemoveAsync(roomId, userId);
        await cursors.ForgetAsync(userId, StreamName.ForRoom(roomId));
        await signalR.RemoveUserFromGroupAsync(userId, Publisher.RoomGroup(roomId));
    }
}
