namespace PushFunctions.SignalR;

/// <summary>Tokens for SignalR Service: bearer tokens for REST calls, and client access tokens for negotiate.</summary>
public interface ISignalRTokenSource
{
    ValueTask<string> GetRestTokenAsync(string audience, CancellationToken cancellationToken);

    ValueTask<string> GetClientTokenAsync(
        string audience, IReadOnlyList<KeyValuePair<string, string>> claims, TimeSpan lifetime, CancellationToken cancellationToken);
}
