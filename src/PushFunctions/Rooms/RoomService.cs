using Microsoft.Extensions.Options;
using PushFunctions.Configuration;
using PushFunctions.Delivery;
using PushFunctions.SignalR;

namespace PushFunctions.Rooms;

/// <summary>
/// Membership changes, kept in step in Redis (the truth, for counts and sync) and in SignalR Service user-group
/// memberships (so live room messages reach every device of every member: the service applies a user's memberships
/// to the user's later connections too, and keeps them, without ttl, for a year). So a connect costs no membership
/// call. The memberships are asserted again, all of them, only when the app has reason to think the service's
/// differ from Redis (<see cref="RoomStore.GroupsInStepAsync"/> is false): a membership call failed, or Redis lost
/// data (the record went with it), or the user's memberships were never asserted since the record exists.
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
        await InStepOrRetryLaterAsync(userId, async () =>
        {
            // Out of step already: this add alone would leave the others as they are.
            if (await rooms.GroupsInStepAsync(userId)) await signalR.AddUserToGroupAsync(userId, Publisher.RoomGroup(roomId));
            else await ReassertGroupsAsync(userId);
        });
        return JoinOutcome.Joined;
    }

    /// <summary>
    /// On each new connection: nothing when the user's memberships are in step (one Redis read); otherwise they are
    /// asserted again now, or, when that fails, by <see cref="RetryDueRestoresAsync"/>: until they are, live room
    /// messages miss this user and nothing shows them a gap.
    /// </summary>
    public async Task EnsureGroupsInStepAsync(string userId)
    {
        if (await rooms.GroupsInStepAsync(userId)) return;
        if (await TryReassertAsync(userId, attempt: 0)) return;
        await restores.FailedAsync(userId, RestoreRetryDelays[0]);
    }

    /// <summary>
    /// Makes SignalR Service hold exactly the user's rooms: every membership removed (the service may hold some
    /// Redis lost), each room added, then the record that they are in step.
    /// </summary>
    private async Task ReassertGroupsAsync(string userId)
    {
        await signalR.RemoveUserFromAllGroupsAsync(userId);
        var memberOf = (await rooms.RoomsOfAsync(userId)).Keys;
        await Task.WhenAll(memberOf.Select(roomId => signalR.AddUserToGroupAsync(userId, Publisher.RoomGroup(roomId))));

        // A leave that landed between our read and our adds removed the group before we re-added it: undo
        // those adds. A leave after this second read removes the group itself, after our adds.
        var stillMemberOf = (await rooms.RoomsOfAsync(userId)).Keys.ToHashSet(StringComparer.Ordinal);
        await Task.WhenAll(memberOf.Where(roomId => !stillMemberOf.Contains(roomId))
            .Select(roomId => signalR.RemoveUserFromGroupAsync(userId, Publisher.RoomGroup(roomId))));
        await rooms.MarkGroupsInStepAsync(userId);
    }

    /// <summary>Retries the restores that are due; run by the periodic check on whichever instance runs it.</summary>
    public async Task RetryDueRestoresAsync()
    {
        foreach (var pending in await restores.DueAsync(RestoreBatchSize))
        {
            if (await TryReassertAsync(pending.UserId, pending.Attempts))
            {
                await restores.DoneAsync(pending.UserId);
            }
            else if (pending.Attempts >= RestoreRetryDelays.Length)
            {
                // The record stays forgotten: the user's next connection tries again.
                logger.LogError("Gave up restoring the room groups of user {UserId}; their room messages arrive by sync until their next connection", pending.UserId);
                await restores.DoneAsync(pending.UserId);
            }
            else
            {
                await restores.FailedAsync(pending.UserId, RestoreRetryDelays[pending.Attempts]);
            }
        }
    }

    private async Task<bool> TryReassertAsync(string userId, int attempt)
    {
        try
        {
            await ReassertGroupsAsync(userId);
            return true;
        }
        catch (Exception e) when (e is SignalRException or StackExchange.Redis.RedisException)
        {
            logger.LogWarning("Could not restore the room groups of user {UserId} (attempt {Attempt}); retrying. {Problem}", userId, attempt + 1, e.Message);
            return false;
        }
    }

    /// <summary>
    /// Runs a membership call; when SignalR Service fails it, the user's memberships are no longer known to be in
    /// step (forgotten, and a restore queued) and the failure goes on to the caller (503: the change is stored in
    /// Redis, and the restore puts it in the service even if the caller never retries).
    /// </summary>
    private async Task InStepOrRetryLaterAsync(string userId, Func<Task> membershipCall)
    {
        try
        {
            await membershipCall();
        }
        catch (SignalRException)
        {
            await rooms.ForgetGroupsInStepAsync(userId);
            await restores.FailedAsync(userId, RestoreRetryDelays[0]);
            throw;
        }
    }

    /// <summary>Idempotent.</summary>
    public async Task LeaveAsync(string roomId, string userId)
    {
        await rooms.RemoveAsync(roomId, userId);
        await cursors.ForgetAsync(userId, StreamName.ForRoom(roomId));
        await InStepOrRetryLaterAsync(userId, () => signalR.RemoveUserFromGroupAsync(userId, Publisher.RoomGroup(roomId)));
    }
}
