using System.Text.Json;
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

    /// <param name="liveEvent">Builds the live event's argument from the stored message (rooms add their counts).</param>
    public async Task<AppendOutcome> PublishAsync(StreamName stream, NewMessage message, Func<PushMessage, AppendResult, object>? liveEvent = null)
    {
        var outcome = await streams.AppendAsync(stream, message);
        telemetry.Appended(stream.Kind, outcome.Status);
        if (outcome is not { Status: AppendStatus.Stored, Message: { } appended }) return outcome;

        var stored = new PushMessage(appended.Id, stream.ToString(), appended.Seq, appended.Epoch, message.From, message.Payload, appended.SentAt);
        var argument = JsonSerializer.SerializeToUtf8Bytes(liveEvent?.Invoke(stored, appended) ?? stored, json.Value.SerializerOptions);
        try
        {
            await (stream.Kind switch
            {
                StreamKind.User => signalR.SendToUserAsync(stream.Id, MessageEvent, argument),
                StreamKind.Room => signalR.SendToGroupAsync(Rooms.RoomService.Group(stream.Id), RoomMessageEvent, argument),
                _ => signalR.SendToAllAsync(MessageEvent, argument),
            });
        }
        catch (SignalRException e)
        {
            telemetry.LivePushFailed(stream.Kind, e.Reason);
            logger.LogWarning("Live push of {Stream} seq {Seq} failed; clients will get it by sync. {Reason}", stream, appended.Seq, e.Message);
        }
        return outcome;
    }
}
