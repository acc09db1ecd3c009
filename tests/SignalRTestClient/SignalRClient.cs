using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace SignalRTestClient;

/// <summary>
/// A minimal client of the SignalR JSON hub protocol over WebSockets, for tests and load tools:
/// negotiate (with redirects), connect, handshake, then invocations in both directions, pings and Close.
/// </summary>
public sealed class SignalRClient : IAsyncDisposable
{
    private const byte RecordSeparator = 0x1E;
    private static readonly HttpClient SharedHttp = new();
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly byte[] PingFrame = "{\"type\":6}\u001e"u8.ToArray();

    private readonly ClientWebSocket _socket;
    private readonly SignalRClientOptions _options;
    private readonly SemaphoreSlim _sendLock = new(1, 1); // ClientWebSocket allows one send at a time
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<CloseInfo> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _pendingInvocations = new();
    private readonly object _historyGate = new();
    private readonly List<HubInvocation> _history = [];
    private readonly List<Waiter> _waiters = [];
    private Task _receiveLoop = Task.CompletedTask;
    private Timer? _keepAlive;
    private int _nextInvocationId;
    private bool _receivedClose;
    private string? _closeError;
    private bool _closeAllowReconnect;

    private SignalRClient(ClientWebSocket socket, NegotiateResult negotiated, SignalRClientOptions options)
    {
        _socket = socket;
        _options = options;
        ConnectionId = negotiated.ConnectionId;
        Url = negotiated.Url;
    }

    /// <summary>The connection id the server knows this client by.</summary>
    public string ConnectionId { get; }

    /// <summary>The (final, after redirects) hub URL.</summary>
    public string Url { get; }

    /// <summary>Completes when the connection has ended, for whatever reason.</summary>
    public Task<CloseInfo> Closed => _closed.Task;

    /// <summary>Everything received so far (when <see cref="SignalRClientOptions.KeepHistory"/>).</summary>
    public IReadOnlyList<HubInvocation> Received
    {
        get
        {
            lock (_historyGate) return _history.ToArray();
        }
    }

    /// <summary>
    /// Negotiates at <paramref name="url"/> like @microsoft/signalr's <c>withUrl(url, {accessTokenFactory})</c>
    /// (an app base such as <c>http://host/api</c>, an app negotiate URL ending in <c>/negotiate</c>, or a service
    /// client URL), follows redirects, connects over WebSockets and completes the JSON handshake.
    /// </summary>
    public static async Task<SignalRClient> ConnectAsync(string url, string? accessToken = null, SignalRClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SignalRClientOptions();
        var negotiated = await Negotiator.NegotiateAsync(options.HttpClient ?? SharedHttp, url, accessToken, cancellationToken);

        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(Negotiator.ConnectUrl(negotiated), cancellationToken);
        }
        catch (WebSocketException e)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            throw new SignalRConnectException($"WebSocket connect failed ({(int)status}): {e.Message}", status == 0 ? null : status, e);
        }

        var client = new SignalRClient(socket, negotiated, options);
        try
        {
            await client.StartAsync(cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The first invocation received (before or after this call) to <paramref name="target"/> matching
    /// <paramref name="predicate"/>. Throws <see cref="TimeoutException"/> after the timeout, or
    /// <see cref="InvalidOperationException"/> if the connection closes first.
    /// </summary>
    public async Task<HubInvocation> WaitForAsync(string target, Func<HubInvocation, bool>? predicate = null, TimeSpan? timeout = null)
    {
        Waiter waiter;
        lock (_historyGate)
        {
            foreach (var invocation in _history)
            {
                if (invocation.Target == target && (predicate is null || predicate(invocation))) return invocation;
            }
            if (_closed.Task.IsCompleted) throw new InvalidOperationException($"The connection closed before '{target}' arrived.");
            waiter = new Waiter(target, predicate);
            _waiters.Add(waiter);
        }

        try
        {
            return await waiter.Result.Task.WaitAsync(timeout ?? _options.DefaultWaitTimeout);
        }
        catch (TimeoutException)
        {
            lock (_historyGate) _waiters.Remove(waiter);
            throw new TimeoutException($"No '{target}' invocation matched within {timeout ?? _options.DefaultWaitTimeout}. Received: [{string.Join(", ", Received.Select(i => i.Target))}]");
        }
    }

    /// <summary>Whether a matching invocation has been received already (no waiting).</summary>
    public bool HasReceived(string target, Func<HubInvocation, bool>? predicate = null)
    {
        lock (_historyGate) return _history.Any(i => i.Target == target && (predicate is null || predicate(i)));
    }

    /// <summary>A non-blocking invocation (no invocationId): the server does not answer.</summary>
    public Task SendAsync(string target, params object?[] arguments) => SendFrameAsync(InvocationFrame(null, target, arguments));

    /// <summary>A blocking invocation: returns the Completion's result (Undefined for void), throws <see cref="HubInvocationException"/> on error.</summary>
    public async Task<JsonElement> InvokeAsync(string target, params object?[] arguments)
    {
        var id = Interlocked.Increment(ref _nextInvocationId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingInvocations[id] = completion;
        if (_closed.Task.IsCompleted) completion.TrySetException(new InvalidOperationException("The connection is closed."));
        await SendFrameAsync(InvocationFrame(id, target, arguments));
        return await completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _keepAlive?.Dispose();
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                await _receiveLoop.WaitAsync(timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException or ObjectDisposedException)
            {
                // The server is gone or slow: abort below.
            }
        }
        _stop.Cancel();
        try
        {
            await _receiveLoop;
        }
        catch (OperationCanceledException)
        {
        }
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        _receiveLoop = ReceiveLoopAsync();
        await SendFrameAsync("{\"protocol\":\"json\",\"version\":1}\u001e"u8.ToArray());
        await _handshake.Task.WaitAsync(_options.HandshakeTimeout, cancellationToken);
        _keepAlive = new Timer(_ => _ = PingAsync(), null, _options.KeepAliveInterval, _options.KeepAliveInterval);
    }

    private async Task PingAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open) await SendFrameAsync(PingFrame);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The receive loop reports the end of the connection.
        }
    }

    private async Task SendFrameAsync(ReadOnlyMemory<byte> frame)
    {
        await _sendLock.WaitAsync(_stop.Token);
        try
        {
            await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, _stop.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        await Task.Yield();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        int count = 0, scanned = 0;
        WebSocketCloseStatus? closeStatus = null;
        Exception? failure = null;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var result = await _socket.ReceiveAsync(buffer.AsMemory(count), _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    closeStatus = _socket.CloseStatus;
                    break;
                }
                count += result.Count;

                var start = 0;
                int separator;
                while ((separator = buffer.AsSpan(scanned, count - scanned).IndexOf(RecordSeparator)) >= 0)
                {
                    var end = scanned + separator;
                    OnFrame(buffer.AsSpan(start, end - start));
                    start = scanned = end + 1;
                }
                scanned = count;
                if (start > 0)
                {
                    buffer.AsSpan(start, count - start).CopyTo(buffer);
                    count -= start;
                    scanned -= start;
                }
            }
            if (_socket.State == WebSocketState.CloseReceived)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                }
                catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
                {
                    // The peer's close arrived: the connection ended cleanly even if our echo raced DisposeAsync's own close.
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure = _stop.IsCancellationRequested ? null : e;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            OnClosed(new CloseInfo(_receivedClose, _closeError, _closeAllowReconnect, closeStatus ?? _socket.CloseStatus, failure));
        }
    }

    private void OnFrame(ReadOnlySpan<byte> frame)
    {
        var reader = new Utf8JsonReader(frame);
        var message = JsonElement.ParseValue(ref reader);
        if (!_handshake.Task.IsCompleted)
        {
            if (message.TryGetProperty("error", out var handshakeError)) _handshake.TrySetException(new SignalRConnectException("Handshake failed: " + handshakeError.GetString()));
            else _handshake.TrySetResult();
            return;
        }

        switch (message.GetProperty("type").GetInt32())
        {
            case 1:
                var arguments = message.TryGetProperty("arguments", out var args) ? args : default;
                OnInvocation(new HubInvocation(message.GetProperty("target").GetString()!, arguments));
                break;
            case 3:
                var id = message.GetProperty("invocationId").GetString()!;
                if (_pendingInvocations.TryRemove(id, out var completion))
                {
                    if (message.TryGetProperty("error", out var error)) completion.TrySetException(new HubInvocationException(error.GetString() ?? ""));
                    else completion.TrySetResult(message.TryGetProperty("result", out var value) ? value : default);
                }
                break;
            case 7:
                _receivedClose = true;
                _closeError = message.TryGetProperty("error", out var closeError) ? closeError.GetString() : null;
                _closeAllowReconnect = message.TryGetProperty("allowReconnect", out var allow) && allow.ValueKind == JsonValueKind.True;
                break;
            default:
                break; // 6 ping: the server's keep-alive, nothing to answer
        }
    }

    private void OnInvocation(HubInvocation invocation)
    {
        _options.OnInvocation?.Invoke(invocation);
        if (!_options.KeepHistory) return;
        List<Waiter>? matched = null;
        lock (_historyGate)
        {
            _history.Add(invocation);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                var waiter = _waiters[i];
                if (waiter.Target == invocation.Target && (waiter.Predicate is null || waiter.Predicate(invocation)))
                {
                    (matched ??= []).Add(waiter);
                    _waiters.RemoveAt(i);
                }
            }
        }
        if (matched is not null)
        {
            foreach (var waiter in matched) waiter.Result.TrySetResult(invocation);
        }
    }

    private void OnClosed(CloseInfo info)
    {
        _keepAlive?.Dispose();
        var closed = new InvalidOperationException("The connection closed" + (info.Error is null ? "." : ": " + info.Error));
        _handshake.TrySetException(new SignalRConnectException("The connection closed during the handshake.", null, info.Exception));
        List<Waiter> waiters;
        lock (_historyGate)
        {
            waiters = [.. _waiters];
            _waiters.Clear();
            _closed.TrySetResult(info);
        }
        // After Closed is set, so an InvokeAsync racing with the close either sees it or is failed here.
        foreach (var (_, pending) in _pendingInvocations) pending.TrySetException(closed);
        foreach (var waiter in waiters) waiter.Result.TrySetException(closed);
    }

    private static byte[] InvocationFrame(string? invocationId, string target, object?[] arguments)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("type", 1);
            if (invocationId is not null) writer.WriteString("invocationId", invocationId);
            writer.WriteString("target", target);
            writer.WriteStartArray("arguments");
            foreach (var argument in arguments) JsonSerializer.Serialize(writer, argument, Json);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        buffer.Write([RecordSeparator]);
        return buffer.WrittenSpan.ToArray();
    }

    private sealed class Waiter(string target, Func<HubInvocation, bool>? predicate)
    {
        public string Target { get; } = target;

        public Func<HubInvocation, bool>? Predicate { get; } = predicate;

        public TaskCompletionSource<HubInvocation> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
