namespace PushFunctions.SignalR;

/// <summary>What delivery can ask of SignalR Service. The rest of the app speaks only this.</summary>
public interface ISignalRService
{
    /// <param name="argumentJson">The one argument of the client event, as UTF-8 JSON.</param>
    Task SendToUserAsync(string userId, string target, ReadOnlyMemory<byte> argumentJson, CancellationToken cancellationToken = default);
    Task SendToAllAsync(string target, ReadOnlyMemory<byte> argumentJson, CancellationToken cancellationToken = default);
    Task SendToGroupAsync(string group, string target, ReadOnlyMemory<byte> argumentJson, CancellationToken cancellationToken = default);
    Task SendToConnectionAsync(string connectionId, string target, ReadOnlyMemory<byte> argumentJson, CancellationToken cancellationToken = default);

    Task AddUserToGroupAsync(string userId, string group, CancellationToken cancellationToken = default);
    Task RemoveUserFromGroupAsync(string userId, string group, CancellationToken cancellationToken = default);
    Task RemoveUserFromAllGroupsAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Closes one connection; an already gone connection is not an error.</summary>
    Task CloseConnectionAsync(string connectionId, string reason, CancellationToken cancellationToken = default);
    Task CloseUserConnectionsAsync(string userId, string reason, CancellationToken cancellationToken = default);
    Task<bool> ConnectionExistsAsync(string connectionId, CancellationToken cancellationToken = default);
    Task PingAsync(CancellationToken cancellationToken = default);

    /// <summary>What a browser needs to connect as <paramref name="userId"/>: the client URL and an access token.</summary>
    Task<ClientConnectionInfo> GetClientConnectionInfoAsync(
        string userId, IReadOnlyList<KeyValuePair<string, string>> claims, TimeSpan lifetime, CancellationToken cancellationToken = default);
}
