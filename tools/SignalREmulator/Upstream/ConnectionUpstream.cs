using System.Threading.Channels;
using SignalREmulator.Client;

namespace SignalREmulator.Upstream;

/// <summary>One upstream POST: a connection event or a client invocation (body without the 0x1E separator).</summary>
public sealed record UpstreamEvent(string Category, string Event, byte[] Body, string? InvocationId = null);

/// <summary>
/// The upstream queue of one connection. Events are delivered one at a time in the order they happened,
/// so the upstream always sees <c>connected</c> before that connection's messages and <c>disconnected</c> last.
/// </summary>
public sealed class ConnectionUpstream
{
    private static readonly byte[] ConnectedBody = "{\"type\":10}"u8.ToArray();

    private readonly Channel<UpstreamEvent> _queue =
        Channel.CreateUnbounded<UpstreamEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly UpstreamDispatcher _dispatcher;

    internal ConnectionUpstream(UpstreamDispatcher dispatcher, ClientConnection connection, string signatureHeader, string claimsHeader, CancellationToken stopping)
    {
        _dispatcher = dispatcher;
        Connection = connection;
        SignatureHeader = signatureHeader;
        ClaimsHeader = claimsHeader;
        Completion = PumpAsync(stopping);
    }

    public ClientConnection Connection { get; }

    internal string SignatureHeader { get; }

    internal string ClaimsHeader { get; }

    /// <summary>Completes once <c>disconnected</c> has been handled (or the emulator stops).</summary>
    public Task Completion { get; }

    public void Connected() => _queue.Writer.TryWrite(new UpstreamEvent("connections", "connected", ConnectedBody));

    public void Invocation(string target, string? invocationId, byte[] body) =>
        _queue.Writer.TryWrite(new UpstreamEvent("messages", target, body, invocationId));

    public void Disconnected(string? error)
    {
        _queue.Writer.TryWrite(new UpstreamEvent("connections", "disconnected", UpstreamDispatcher.DisconnectedBody(error)));
        _queue.Writer.TryComplete();
    }

    private async Task PumpAsync(CancellationToken stopping)
    {
        await Task.Yield(); // never run deliveries on the connecting request's stack
        try
        {
            await foreach (var work in _queue.Reader.ReadAllAsync(stopping))
            {
                await _dispatcher.DeliverAsync(this, work);
            }
        }
        catch (OperationCanceledException)
        {
            // The emulator is stopping.
        }
    }
}
