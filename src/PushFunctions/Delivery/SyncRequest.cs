using System.Text.Json.Serialization;

namespace PushFunctions.Delivery;

/// <summary>
/// The body of <c>POST /api/sync</c>: a cursor per stream, <c>17</c> or <c>{"seq": 17, "epoch": "…", "id": "…"}</c> (the id
/// of the message at that seq, optional).
/// </summary>
public sealed record SyncRequest(
    [property: JsonConverter(typeof(SyncCursorsJsonConverter))] Dictionary<string, StreamPosition>? Cursors);
