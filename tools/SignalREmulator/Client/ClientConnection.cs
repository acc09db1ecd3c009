using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using SignalREmulator.Auth;

namespace SignalREmulator.Client;

/// <summary>
/// One connected client. Anyone may queue frames for it (REST sends, upstream completions, pings); a single
/// writer loop drains the queue into the transport, so senders never wait for a slow client and frames are
/// never interleaved.
/// </summary>
public sealed class ClientConnection
{
    private readonly Channel<OutboundFrame> _outbound =
        Channel.CreateUnbounded<OutboundFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly PipeReader _input;
    private long _lastWrite = Environment.TickCount64;
    private long _lastReceive = Environment.TickCount64;
    private int _closing;

    public ClientConnection(string id, ClientIdentity identity, PipeReader input)
    {
        Id = id;
        Identity = identity;
        _input = input;
    }

    public string Id { get; }

    public ClientIdentity Identity { get; }

    public string Hub => Identity.Hub;

    public string? UserId => Identity.UserId;

    /// <summary>The groups this connection is in. Guarded by its hub's lock.</summary>
    internal HashSet<string> Groups { get; } = new(StringComparer.Ordinal);

    /// <summary>Why the server closed the connection (REST close reason or timeout), if it did.</summary>
    public string? CloseReason { get; private set; }

    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    internal long LastWrite => Volatile.Read(ref _lastWrite);

    internal long LastReceive => Volatile.Read(ref _lastReceive);

    internal void MarkReceived() => Volatile.Write(ref _lastReceive, Environment.TickCount64);

    /// <summary>Queues a complete frame. False once the connection is closing.</summary>
    public bool TrySend(ReadOnlyMemory<byte> frame) => _outbound.Writer.TryWrite(new OutboundFrame(frame, false));

    /// <summary>Queues <paramref name="closeFrame"/> after everything already queued, then ends the connection.</summary>
    public void Close(string? reason, ReadOnlyMemory<byte> closeFrame)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;
        CloseReason = reason;
        _outbound.Writer.TryWrite(new OutboundFrame(closeFrame, true));
        _outbound.Writer.TryComplete();
    }

    /// <summary>Stops accepting frames; the writer loop ends after draining what is queued.</summary>
    internal void CompleteOutbound() => _outbound.Writer.TryComplete();

    internal async Task RunWriterAsync(PipeWriter output)
    {
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                var closeAfter = false;
                // Batch whatever is queued into one flush.
                while (!closeAfter && reader.TryRead(out var frame))
                {
                    output.Write(frame.Data.Span);
                    closeAfter = frame.CloseAfter;
                }
                var result = await output.FlushAsync();
                Volatile.Write(ref _lastWrite, Environment.TickCount64);
                if (closeAfter || result.IsCompleted || result.IsCanceled) break;
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or OperationCanceledException)
        {
            // The transport is gone; the read loop is about to notice too.
        }
        finally
        {
            _outbound.Writer.TryComplete();
            // Wake the read loop: after a Close frame (or a dead transport) the connection is over.
            _input.CancelPendingRead();
        }
    }

    private readonly record struct OutboundFrame(ReadOnlyMemory<byte> Data, bool CloseAfter);
}
