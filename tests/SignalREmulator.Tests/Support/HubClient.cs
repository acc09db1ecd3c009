using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace SignalREmulator.Tests.Support;

/// <summary>An invocation a client received: its target and its arguments as sent.</summary>
public sealed record ReceivedInvocation(string Target, JsonElement Arguments)
{
    public int ArgumentCount => Arguments.ValueKind == JsonValueKind.Array ? Arguments.GetArrayLength() : 0;

    public JsonElement Argument(int index) => Arguments[index];
}

/// <summary>
/// The real .NET SignalR client (Microsoft.AspNetCore.SignalR.Client): negotiate and its redirect, WebSocket, handshake,
/// pings, invocations and completions are all its own. The tests do not know every target in advance, so the JSON
/// protocol is wrapped to record each invocation frame as it is parsed, handler or not.
/// </summary>
public sealed class HubClient : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly RecordingProtocol _protocol;
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HubClient(HubConnection connection, RecordingProtocol protocol)
    {
        _connection = connection;
        _protocol = protocol;
        connection.Closed += error =>
        {
            _closed.TrySetResult(error);
            return Task.CompletedTask;
        };
    }

    public string ConnectionId => _connection.ConnectionId!;

    /// <summary>Completes when the connection closed, with the error it closed with (null when clean).</summary>
    public Task<Exception?> Closed => _closed.Task;

    /// <summary>Negotiates with <paramref name="url"/> (following an app's redirect) and starts the connection.</summary>
    public static async Task<HubClient> ConnectAsync(string url, string? accessToken)
    {
        var protocol = new RecordingProtocol();
        var builder = new HubConnectionBuilder().WithUrl(url, options => options.AccessTokenProvider = () => Task.FromResult(accessToken));
        builder.Services.AddSingleton<IHubProtocol>(protocol); // replaces the default JSON protocol with the recording one
        var connection = builder.Build();
        var client = new HubClient(connection, protocol);
        try
        {
            await connection.StartAsync();
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        return client;
    }

    public async Task<ReceivedInvocation> WaitForAsync(string target, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            if (_protocol.Find(target) is { } found) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No '{target}' invocation arrived; got: {string.Join(", ", _protocol.Targets)}");
            await Task.Delay(20);
        }
    }

    public bool HasReceived(string target) => _protocol.Find(target) is not null;

    public Task SendAsync(string target, params object?[] arguments) => _connection.SendCoreAsync(target, arguments);

    /// <summary>Invokes <paramref name="target"/> and returns its result (Undefined for a void completion); an error completion throws <see cref="Microsoft.AspNetCore.SignalR.HubException"/>.</summary>
    public async Task<JsonElement> InvokeAsync(string target, params object?[] arguments) =>
        await _connection.InvokeCoreAsync(target, typeof(JsonElement), arguments) is JsonElement result ? result : default;

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    /// <summary>The JSON hub protocol, plus a record of every invocation frame it parses.</summary>
    private sealed class RecordingProtocol : IHubProtocol
    {
        private readonly JsonHubProtocol _inner = new();
        private readonly ConcurrentQueue<ReceivedInvocation> _received = new();

        public string Name => _inner.Name;

        public int Version => _inner.Version;

        public TransferFormat TransferFormat => _inner.TransferFormat;

        public IEnumerable<string> Targets => _received.Select(r => r.Target);

        public ReceivedInvocation? Find(string target) => _received.FirstOrDefault(r => r.Target == target);

        public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
        {
            var before = input;
            if (!_inner.TryParseMessage(ref input, binder, out message)) return false;
            if (message is InvocationMessage or InvocationBindingFailureMessage) Record(before.Slice(before.Start, input.Start));
            return true;
        }

        private void Record(ReadOnlySequence<byte> frame)
        {
            var bytes = frame.ToArray().AsSpan().TrimEnd((byte)0x1e);
            using var json = JsonDocument.Parse(bytes.ToArray());
            var root = json.RootElement;
            var arguments = root.TryGetProperty("arguments", out var args) ? args.Clone() : default;
            _received.Enqueue(new ReceivedInvocation(root.GetProperty("target").GetString()!, arguments));
        }

        public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => _inner.WriteMessage(message, output);

        public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => _inner.GetMessageBytes(message);

        public bool IsVersionSupported(int version) => _inner.IsVersionSupported(version);
    }
}
