namespace PushFunctions.SignalR;

/// <summary>A SignalR Service call failed; the message names the operation and the status, never a token.</summary>
public sealed class SignalRException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Why, in a word for metrics: the HTTP status (<c>503</c>), <c>unreachable</c> or <c>circuit_open</c>.</summary>
    public string Reason { get; init; } = "unreachable";
}
