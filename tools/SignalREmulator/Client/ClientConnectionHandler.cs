using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Protocol;
using SignalREmulator.Admin;
using SignalREmulator.Auth;
using SignalREmulator.Groups;
using SignalREmulator.Upstream;

namespace SignalREmulator.Client;

/// <summary>
/// Speaks the hub protocol (JSON) to a client on behalf of a serverless hub: handshake, then every
/// invocation goes to the upstream; pings and REST-driven messages go out through <see cref="ClientConnection"/>.
/// The transports (WebSockets, SSE, long polling) and negotiate come from ASP.NET Core's MapConnections.
/// </summary>
public sealed class ClientConnectionHandler(
    EmulatorOptions options, HubRegistry hubs, UpstreamDispatcher upstream, HubFrames frames, Stats stats,
    ILogger<ClientConnectionHandler> logger) : ConnectionHandler
{
    private const int MaxMessageSize = 1024 * 1024;
    private readonly JsonHubProtocol _protocol = new();

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        if (connection.GetHttpContext()?.Items[ClientIdentity.ItemKey] is not ClientIdentity identity) return;
        if (connection.Features.Get<ITransferFormatFeature>() is { } format) format.ActiveFormat = TransferFormat.Text;

        var handshake = await ReadHandshakeAsync(connection);
        if (handshake is not { Error: null })
        {
            if (handshake is { } failed) await WriteHandshakeResponseAsync(connection, failed.Error);
            return;
        }

        var client = new ClientConnection(connection.ConnectionId, identity, connection.Transport.Input);
        var hub = hubs.GetOrCreate(identity.Hub);
        // Registered before the handshake is answered: once a client sees its handshake complete, REST sends
        // reach it (they wait in its queue until the writer starts); and the upstream can add it to groups on "connected".
        hub.Add(client);
        stats.ConnectionOpened();
        var events = upstream.Open(client);
        events.Connected();
        logger.LogInformation("Connection {ConnectionId} of user {UserId} joined hub {Hub}", client.Id, client.UserId, hub.Name);

        var writer = Task.CompletedTask;
        string? error = null;
        try
        {
            await WriteHandshakeResponseAsync(connection, null);
            writer = client.RunWriterAsync(connection.Transport.Output);
            error = await ReadLoopAsync(connection.Transport.Input, client, events);
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or OperationCanceledException or InvalidOperationException)
        {
            error = e.Message;
        }
        finally
        {
            hub.Remove(client);
            stats.ConnectionClosed();
            client.CompleteOutbound();
            // Let a pending Close frame reach the client, but never wait forever on a client that stopped reading.
            if (await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(5))) != writer) connection.Abort();
            events.Disconnected(error ?? client.CloseReason);
            logger.LogInformation("Connection {ConnectionId} left hub {Hub} ({Error})", client.Id, hub.Name, error ?? client.CloseReason);
        }
    }

    private static async Task WriteHandshakeResponseAsync(ConnectionContext connection, string? error)
    {
        HandshakeProtocol.WriteResponseMessage(error is null ? HandshakeResponseMessage.Empty : new HandshakeResponseMessage(error), connection.Transport.Output);
        await connection.Transport.Output.FlushAsync();
    }

    private readonly record struct HandshakeResult(string? Error);

    /// <summary>Null when the client left or sent nothing in time; otherwise the handshake's error, if any.</summary>
    private async Task<HandshakeResult?> ReadHandshakeAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        using var timeout = new CancellationTokenSource(options.HandshakeTimeout);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                logger.LogInformation("Connection {ConnectionId} sent no handshake in time", connection.ConnectionId);
                return null;
            }

            var buffer = result.Buffer;
            HandshakeRequestMessage? request = null;
            string? error = null;
            try
            {
                if (!buffer.IsEmpty && HandshakeProtocol.TryParseRequestMessage(ref buffer, out request))
                {
                    if (request.Protocol != _protocol.Name) error = $"The protocol '{request.Protocol}' is not supported by this emulator.";
                    else if (!_protocol.IsVersionSupported(request.Version)) error = $"The protocol version '{request.Version}' is not supported.";
                }
                else if (buffer.Length > MaxMessageSize)
                {
                    error = "The handshake request is too large.";
                }
            }
            catch (InvalidDataException e)
            {
                error = e.Message;
            }
            finally
            {
                // On success the parser moved buffer.Start past the handshake; otherwise wait for more data.
                if (request is not null) input.AdvanceTo(buffer.Start);
                else input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (request is not null || error is not null) return new HandshakeResult(error);
            if (result.IsCompleted || result.IsCanceled) return null;
        }
    }

    /// <summary>Reads client messages until the client leaves or the server closes it; returns the error, if any.</summary>
    private async Task<string?> ReadLoopAsync(PipeReader input, ClientConnection client, ConnectionUpstream events)
    {
        while (true)
        {
            var result = await input.ReadAsync();
            if (result.IsCanceled) return client.CloseReason; // closed by us: REST close, timeout or dead transport
            var buffer = result.Buffer;
            client.MarkReceived();
            string? error = null;
            var clientClosed = false;
            try
            {
                while (!clientClosed && error is null && TryReadFrame(ref buffer, out var frame))
                {
                    (clientClosed, error) = Handle(frame, client, events);
                }
                if (error is null && buffer.Length > MaxMessageSize) error = "The message exceeded the maximum size.";
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (error is not null)
            {
                client.Close(error, frames.Close(error));
                return error;
            }
            if (clientClosed) return null;
            if (result.IsCompleted) return buffer.IsEmpty ? null : "The connection ended in the middle of a message.";
        }
    }

    private (bool ClientClosed, string? Error) Handle(ReadOnlySequence<byte> frame, ClientConnection client, ConnectionUpstream events)
    {
        var bytes = frame.IsSingleSegment ? frame.First : frame.ToArray();
        ClientMessageHeader header;
        try
        {
            header = ClientMessageHeader.Parse(bytes.Span);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return (false, "Invalid hub message: " + e.Message);
        }

        switch (header.Type)
        {
            case HubProtocolConstants.InvocationMessageType:
                if (string.IsNullOrEmpty(header.Target)) return (false, "Invocation without a target.");
                events.Invocation(header.Target, header.InvocationId, bytes.ToArray());
                break;
            case HubProtocolConstants.StreamInvocationMessageType:
                // Serverless hubs do not support client streaming (spec §3.4); answer so the caller does not hang.
                if (header.InvocationId is not null)
                {
                    client.TrySend(frames.ErrorCompletion(header.InvocationId, "Stream invocations are not supported in serverless mode."));
                }
                break;
            case HubProtocolConstants.CloseMessageType:
                return (true, null);
            default:
                break; // pings only keep the connection alive; completions, cancels, acks need nothing here
        }
        return (false, null);
    }

    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        var position = buffer.PositionOf(HubFrames.RecordSeparator);
        if (position is null)
        {
            frame = default;
            return false;
        }
        frame = buffer.Slice(0, position.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, position.Value));
        return true;
    }
}
