using Microsoft.Extensions.Options;
using PushFunctions.Configuration;
using PushFunctions.Observability;
using PushFunctions.Security;

namespace PushFunctions.Delivery;

/// <summary>
/// Recovery: for every stream the user may read, what came after their cursor, in seq order, a page at a time.
/// A stream without a cursor from the device starts at the user's server-side cursor. A cursor from another epoch,
/// ahead of the stream, or whose seq now holds another message (Redis lost data) starts over from what the stream
/// holds now, with recovered false.
/// </summary>
public sealed class SyncService(StreamStore streams, SyncCursors cursors, IRoomMemberships rooms, SyncGate gate, IOptions<LimitsOptions> limits, PushTelemetry telemetry)
{
    public const int PageSize = 500;

    public async Task<SyncOutcome> SyncAsync(PushUser user, IReadOnlyDictionary<string, StreamPosition> requested, CancellationToken cancellation)
    {
        using var turn = await gate.EnterAsync(user.SessionId, cancellation);
        if (!turn.IsAcquired)
        {
            telemetry.Refused(PushTelemetry.Refusals.SyncQueue);
            return new SyncOutcome(SyncStatus.TooManyWaiting);
        }

        var roomsTask = rooms.RoomsOfAsync(user.UserId);
        var serverCursorsTask = cursors.GetAllAsync(user.UserId);

        // Each readable stream and the seq below which the user may not read it (a room: where they joined).
        var readable = new Dictionary<string, (StreamName Name, long Floor)>(StringComparer.Ordinal)
        {
            [StreamName.ForUser(user.UserId).ToString()] = (StreamName.ForUser(user.UserId), 0),
            [StreamName.Broadcast.ToString()] = (StreamName.Broadcast, 0),
        };
        foreach (var (roomId, joinSeq) in await roomsTask)
            readable[StreamName.ForRoom(roomId).ToString()] = (StreamName.ForRoom(roomId), joinSeq);

        foreach (var (stream, cursor) in requested)
        {
            if (!StreamName.TryParse(stream, out _)) return new SyncOutcome(SyncStatus.NotAStreamName, Stream: stream);
            if (!readable.ContainsKey(stream)) return new SyncOutcome(SyncStatus.NotReadable, Stream: stream);
            if (cursor.Seq < 0) return new SyncOutcome(SyncStatus.NegativeCursor, Stream: stream);
        }

        var serverCursors = await serverCursorsTask;
        // The answer's byte budget is shared by its streams; each stream's page holds at least one message, so a
        // user in many rooms still moves forward, a page at a time (more: true).
        var streamBudget = Math.Max(1, limits.Value.SyncAnswerBytes / readable.Count);
        var results = await Task.WhenAll(readable.Select(async entry =>
        {
            var (name, floor) = entry.Value;
            var explicitCursor = requested.TryGetValue(entry.Key, out var cursor);
            var start = explicitCursor ? cursor : serverCursors.GetValueOrDefault(entry.Key);
            // Below a room's floor the cursor's id says nothing about where the user may read from.
            var after = start.Seq >= floor ? start : new StreamPosition(floor, start.Epoch);
            var page = await streams.ReadAsync(name, after, restartAfter: floor, PageSize, streamBudget);
            var from = page.Restarted ? Math.Min(floor, page.LatestSeq) : after.Seq;
            var last = page.Messages.Count > 0 ? page.Messages[^1].Seq : from;
            var recovered = !page.Restarted && (explicitCursor && cursor.Seq == 0 || from + 1 >= page.OldestRetainedSeq);
            var sync = new StreamSync(page.Messages, page.LatestSeq, page.Epoch, recovered,
                More: last < page.LatestSeq);
            // What the device already had (its cursor) or now has (this page) counts as received by the user.
            return (Sync: sync, Move: new CursorMove(entry.Key, new StreamPosition(Math.Min(last, page.LatestSeq), page.Epoch), page.LatestSeq));
        }));

        var moves = results
            .Select(r => r.Move)
            .Where(m => serverCursors.TryGetValue(m.Stream, out var at) is false
                || m.To.Seq > at.Seq || at.Seq > m.LatestSeq || at.Epoch != m.To.Epoch)
            .ToList();
        await cursors.AdvanceAsync(user.UserId, moves);
        telemetry.Synced(results.Length, results.Sum(r => (long)r.Sync.Messages.Count), results.Count(r => !r.Sync.Recovered));

        return new SyncOutcome(SyncStatus.Synced,
            new SyncResponse(results.ToDictionary(r => r.Move.Stream, r => r.Sync, StringComparer.Ordinal)));
    }
}
