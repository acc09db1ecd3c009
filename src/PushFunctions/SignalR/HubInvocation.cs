using System.Text;
using System.Text.Json;

namespace PushFunctions.SignalR;

/// <summary>
/// A client's hub invocation as SignalR Service posts it upstream (JSON hub protocol, without the record separator,
/// spec §4.2), and the answer that completes it: the service writes a 200 body to the client as it is, so the body is
/// a whole framed Completion, as the Functions SignalR extension writes it (spec §4.3).
/// </summary>
public sealed record HubInvocation(string? InvocationId, string? Target)
{
    private const char RecordSeparator = '\u001e';

    /// <summary>A Completion without a result or an error (the hub method returned nothing), framed for the JSON protocol.</summary>
    public static byte[] VoidCompletion(string invocationId) =>
        Encoding.UTF8.GetBytes($"{{\"type\":3,\"invocationId\":{JsonSerializer.Serialize(invocationId)}}}{RecordSeparator}");
}
