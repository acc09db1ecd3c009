using System.Collections.Concurrent;
using System.Text.Json;
using PushFunctions.SignalR;

namespace PushFunctions.IntegrationTests.Support;

/// <summary>
/// SignalR Service as far as presence uses it without live connections: pushes to everyone are counted (with the
/// online count each carried), whether a connection exists is answered by <paramref name="exists"/>, and the users
/// whose memberships the periodic check asserts again are recorded. Anything else is a call presence should not make.
/// </summary>
public sealed class PresenceSignalR(Func<string, bool>? exists = null) : ISignalRService
{
    private int _pushes;

    public int Pushes => _pushes;

    /// <summary>The <c>online_count</c> of each push.</summary>
    public ConcurrentBag<long> OnlineCounts { get; } = [];

    /// <summary>The connections whose existence was checked.</summary>
    public ConcurrentBag<string> Checked { get; } = [];

    /// <summary>The users whose memberships were removed to be asserted again (a group restore).</summary>
    public ConcurrentBag<string> Restored { get; } = [];

    public Task SendToAllAsync(string target, ReadOnlyMemory<byte> argumentJson, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _pushes);
        OnlineCounts.Add(JsonDocument.Parse(argumentJson).RootElement.GetProperty("online_count").GetInt64());
        return Task.CompletedTask;
    }

    public Task<bool> ConnectionExistsAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        if (exists is null) throw Unexpected();
        Checked.Add(connectionId);
        return Task.FromResult(exists(connectionId));
    }

    public Task SendToUserAsync(string userId, string target, ReadOnlyMemory<byte> argumentJson, CancellationToken cancellationToken = default) => throw Unexpected();
    public Task SendToGroupAsync(string group, string target, ReadOnlyMemory<byte> argumentJson, CancellationToken cancellationToken = default) => throw Unexpected();
    public Task SendToConnectionAsync(string connectionId, string target, ReadOnlyMemory<byte> argumentJson, CancellationToken cancellationToken = default) => throw Unexpected();
    public Task AddUserToGroupAsync(string userId, string group, CancellationToken cancellationToken = default) => throw Unexpected();
    public Task RemoveUserFromGroupAsync(string userId, string group, CancellationToken cancellationToken = default) => throw Unexpected();
    public Task RemoveUserFromAllGroupsAsync(string userId, CancellationToken cancellationToken = default)
    {
        Restored.Add(userId);
        return Task.CompletedTask;
    }

    public Task CloseConnectionAsync(string connectionId, string reason, CancellationToken cancellationToken = default) => throw Unexpected();
    public Task CloseUserConnectionsAsync(string userId, string reason, CancellationToken cancellationToken = default) => throw Unexpected();
    public Task PingAsync(CancellationToken cancellationToken = default) => throw Unexpected();
    public Task<ClientConnectionInfo> GetClientConnectionInfoAsync(string userId, IReadOnlyList<KeyValuePair<string, string>> claims, TimeSpan lifetime,
        CancellationToken cancellationToken = default) => throw Unexpected();

    private static NotSupportedException Unexpected() => new("presence makes no such call");
}
