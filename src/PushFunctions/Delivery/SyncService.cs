using PushFunctions.Http;
using PushFunctions.Rooms;
using PushFunctions.Security;

namespace PushFunctions.Delivery;

public sealed record SyncRequest(Dictionary<string, long>? Cursors);

public sealed record StreamSync(IReadOnlyList<PushMessage> Messages, long LatestSeq, bool Recovered, bool More);

public sealed record SyncResponse(Dictionary<string, StreamSync> Streams);

/// <summary>
/// Recovery: for every stream the user may read, what came after their cursor, in seq order, a page at a time.
/// A stream without a cursor from the device starts at the user's server-side cursor.
/// </summary>
public sealed class SyncService(StreamStore streams, SyncCursors cursors, RoomStore rooms)
{
    public const int PageSize = 500;

    public async Task<SyncResponse> SyncAsync(PushUser user, IReadOnlyDictionary<string, long> requested)
    {
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

        foreach (var (stream, seq) in requested)
        {
            if (!StreamName.TryParse(stream, out _))
                throw new InvalidRequestException(StatusCodes.Status400BadRequest,
                    $"'{Truncate(stream)}' is not a stream name: use 'user:<userId>', 'broadcast' or 'room:<roomId>'.");
            if (!readable.ContainsKey(stream))
                throw new InvalidRequestException(StatusCodes.Status403Forbidden,
                    $"You may not read stream '{stream}': only your own user stream, broadcast and rooms you are a member of.");
            if (seq < 0)
                throw new InvalidRequestException(StatusCodes.Status400BadRequest, $"The cursor for '{stream}' must be 0 or more.");
        }

        var serverCursors = await serverCursorsTask;
        var results = await Task.WhenAll(readable.Select(async entry =>
        {
            var explicitCursor = requested.TryGetValue(entry.Key, out var cursor);
            var from = Math.Max(explicitCursor ? cursor : serverCursors.GetValueOrDefault(entry.Key), entry.Value.Floor);
            var page = await streams.ReadAsync(entry.Value.Name, from, PageSize);
            var last = page.Messages.Count > 0 ? page.Messages[^1].Seq : from;
            var recovered = from <= page.LatestSeq && (explicitCursor && cursor == 0 || from + 1 >= page.OldestRetainedSeq);
            var sync = new StreamSync(page.Messages, page.LatestSeq, recovered, More: last < page.LatestSeq && page.Messages.Count == PageSize);
            // What the device already had (its cursor) or now has (this page) counts as received by the user.
            return (Stream: entry.Key, Sync: sync, Received: Math.Min(last, page.LatestSeq));
        }));

        var advanced = results
            .Where(r => r.Received > serverCursors.GetValueOrDefault(r.Stream))
            .Select(r => KeyValuePair.Create(r.Stream, r.Received))
            .ToList();
        await cursors.AdvanceAsync(user.UserId, advanced);

        return new SyncResponse(results.ToDictionary(r => r.Stream, r => r.Sync, StringComparer.Ordinal));
    }

    private static string Truncate(string value) => value.Length <= 140 ? value : value[..140] + "…";
}
