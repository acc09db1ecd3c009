using System.Buffers;
using System.Text.Json;
using CommunityToolkit.HighPerformance.Buffers;
using Microsoft.Extensions.Options;
using PushFunctions.Observability;
using PushFunctions.SignalR;

namespace PushFunctions.Delivery;

/// <summary>
/// Sends a message: append it to its stream first (the truth), then push it live with one REST call whatever the
/// audience. A failed live push loses nothing: clients fetch the message by sync.
/// </summary>
public sealed class Publisher(
    StreamStore streams,
    ISignalRService signalR,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    PushTelemetry telemetry,
    ILogger<Publisher> logger)
{
    public const string MessageEvent = "message";
    public const string RoomMessageEvent = "room_message";

    /// <summary>The SignalR group of a room's members' connections: a room message is one send to it.</summary>
    public static string RoomGroup(string roomId) => StreamName.ForRoom(roomId).ToString();

    /// <param name="liveEvent">Builds the live event's argument from the stored message (rooms add their counts).</param>
    public async Task<AppendOutcome> PublishAsync(StreamName stream, NewMessage message, Func<PushMessage, AppendResult, object>? liveEvent = null)
    {
        var outcome = await streams.AppendAsync(stream, message);
        if (outcome.Status == AppendStatus.Stored) telemetry.Accepted(stream.KindName);
        else if (outcome.Status == AppendStatus.Replayed) telemetry.Replayed(stream.KindName);
        if (outcome is not { Status: AppendStatus.Stored, Message: { } appended }) return outcome;

        var stored = new PushMessage(appended.Id, stream.ToString(), appended.Seq, appended.Epoch, message.From, message.Payload, appended.SentAt);
        // The event's JSON goes into a pooled buffer (the payload's bytes copied once, from the request body) that the
        // REST call writes out; it is returned when the call is over, retries included.
        using var argument = new ArrayPoolBufferWriter<byte>(message.Payload.Length + LiveEventOverhead);
        WriteJson(argument, liveEvent?.Invoke(stored, appended) ?? stored);
        try
        {
            await (stream.Kind switch
            {
                StreamKind.User => signalR.SendToUserAsync(stream.Id, MessageEvent, argument.WrittenMemory),
                StreamKind.Room => signalR.SendToGroupAsync(RoomGroup(stream.Id), RoomMessageEvent, argument.WrittenMemory),
                _ => signalR.SendToAllAsync(MessageEvent, argument.WrittenMemory),
            });
        }
        catch (SignalRException e)
        {
            telemetry.LivePushFailed(stream.KindName, e.Reason);
            logger.LogWarning("Live push of {Stream} seq {Seq} failed; clients will get it by sync. {Reason}", stream, appended.Seq, e.Message);
        }
        return outcome;
    }

    /// <summary>Room for the event's fields around the payload, so the buffer rarely grows.</summary>
    private const int LiveEventOverhead = 512;

    /// <summary>One JSON writer per thread, pointed at each event's buffer in turn: events are written without awaiting.</summary>
    [ThreadStatic]
    private static Utf8JsonWriter? writer;

    private void WriteJson(IBufferWriter<byte> buffer, object liveEvent)
    {
        var output = writer ??= new Utf8JsonWriter(buffer);
        output.Reset(buffer);
        JsonSerializer.Serialize(output, liveEvent, liveEvent.GetType(), json.Value.SerializerOptions);
        output.Flush();
        output.Reset();
    }
}
