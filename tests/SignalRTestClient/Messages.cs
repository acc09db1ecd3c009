using System.Net;
using System.Net.WebSockets;
using System.Text.Json;

namespace SignalRTestClient;

/// <summary>A server-to-client invocation: <paramref name="Arguments"/> is the JSON array as received.</summary>
public sealed record HubInvocation(string Target, JsonElement Arguments)
{
    public int ArgumentCount => Arguments.ValueKind == JsonValueKind.Array ? Arguments.GetArrayLength() : 0;

    public JsonElement Argument(int index) => Arguments[index];
}

/// <summary>How the connection ended: the hub Close message (if one came) and the socket's close.</summary>
public sealed record CloseInfo(bool ReceivedCloseMessage, string? Error, bool AllowReconnect, WebSocketCloseStatus? SocketCloseStatus, Exception? Exception);

/// <summary>Negotiate or connect was refused; <see cref="StatusCode"/> is the HTTP status when there was one.</summary>
public sealed class SignalRConnectException(string message, HttpStatusCode? statusCode = null, Exception? inner = null) : Exception(message, inner)
{
    public HttpStatusCode? StatusCode { get; } = statusCode;
}

/// <summary>The server answered an invocation with an error Completion.</summary>
public sealed class HubInvocationException(string message) : Exception(message);

public sealed class SignalRClientOptions
{
    /// <summary>Used for negotiate; share one across many clients (load tests). Default: one shared instance.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>Keep every received invocation for <see cref="SignalRClient.WaitForAsync"/>. Turn off in load tests and use <see cref="OnInvocation"/>.</summary>
    public bool KeepHistory { get; init; } = true;

    /// <summary>Called on the receive loop for each invocation: keep it short.</summary>
    public Action<HubInvocation>? OnInvocation { get; init; }

    /// <summary>How often the client pings the server (the service drops clients silent for 30 s).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Default wait of <see cref="SignalRClient.WaitForAsync"/>.</summary>
    public TimeSpan DefaultWaitTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
