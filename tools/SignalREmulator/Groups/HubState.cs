using System.Collections.Concurrent;
using SignalREmulator.Client;

namespace SignalREmulator.Groups;

/// <summary>
/// One hub's connections, users, groups and user-group memberships.
/// Sends read the concurrent indexes without locking, so a broadcast or group send never waits for
/// membership changes; every change takes the hub's short lock (never across an await) so the indexes
/// stay consistent with each other.
/// </summary>
public sealed class HubState(string name, TimeProvider clock)
{
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<string, ClientConnection> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, ClientConnection>> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, ClientConnection>> _groups = new(StringComparer.Ordinal);

    // user -> group -> membership; only read and written under _gate.
    private readonly Dictionary<string, Dictionary<string, Membership>> _userGroups = new(StringComparer.Ordinal);
    private long _updates; // orders memberships by their last update

    // "Unset means at most 1 year" (spec §1.2).
    private static readonly TimeSpan DefaultMembershipLifetime = TimeSpan.FromDays(365);

    /// <summary>"Among groups joined without TTL, only the 100 most recently updated are kept per user" (spec §1.2).</summary>
    public const int MaxMembershipsWithoutTtl = 100;

    private readonly record struct Membership(DateTimeOffset Expiry, long Updated, bool WithoutTtl);

    public string Name { get; } = name;

    public int ConnectionCount => _connections.Count;

    /// <summary>Called after a user-group membership was added or removed (never under the hub's lock).</summary>
    public Action? MembershipsChanged { get; init; }

    /// <summary>The live user-group memberships, for <see cref="MembershipFile"/>.</summary>
    internal IReadOnlyList<SavedMembership> Memberships()
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            return [.. _userGroups.SelectMany(user => user.Value
                .Where(m => m.Value.Expiry > now)
                .Select(m => new SavedMembership(Name, user.Key, m.Key, m.Value.Expiry, m.Value.Updated, m.Value.WithoutTtl)))];
        }
    }

    /// <summary>Memberships kept from before a restart (no connection exists yet to join them).</summary>
    internal void Restore(IEnumerable<SavedMembership> saved)
    {
        lock (_gate)
        {
            foreach (var m in saved)
            {
                if (!_userGroups.TryGetValue(m.User, out var memberships)) _userGroups[m.User] = memberships = new(StringComparer.Ordinal);
                memberships[m.Group] = new Membership(m.Expiry, m.Updated, m.WithoutTtl);
                _updates = Math.Max(_updates, m.Updated);
            }
        }
    }

    public void Add(ClientConnection connection)
    {
        lock (_gate)
        {
            _connections[connection.Id] = connection;
            if (connection.UserId is { } user)
            {
                _users.GetOrAdd(user, static _ => new(StringComparer.Ordinal))[connection.Id] = connection;
                // Memberships of the user apply to the user's future connections too.
                if (_userGroups.TryGetValue(user, out var memberships))
                {
                    var now = clock.GetUtcNow();
                    foreach (var (group, membership) in memberships.ToArray())
                    {
                        if (membership.Expiry <= now) memberships.Remove(group);
                        else AddToGroupLocked(connection, group);
                    }
                    if (memberships.Count == 0) _userGroups.Remove(user);
                }
            }
        }
    }

    public void Remove(ClientConnection connection)
    {
        lock (_gate)
        {
            if (!_connections.TryRemove(new KeyValuePair<string, ClientConnection>(connection.Id, connection))) return;
            if (connection.UserId is { } user) RemoveFromIndexLocked(_users, user, connection.Id);
            foreach (var group in connection.Groups) RemoveFromIndexLocked(_groups, group, connection.Id);
            connection.Groups.Clear();
        }
    }

    public ClientConnection? FindConnection(string connectionId) =>
        _connections.TryGetValue(connectionId, out var connection) ? connection : null;

    public bool UserExists(string user) => _users.TryGetValue(user, out var connections) && !connections.IsEmpty;

    public bool GroupExists(string group) => _groups.TryGetValue(group, out var connections) && !connections.IsEmpty;

    /// <summary>False when the connection does not exist (the caller answers 404).</summary>
    public bool AddConnectionToGroup(string connectionId, string group)
    {
        lock (_gate)
        {
            if (!_connections.TryGetValue(connectionId, out var connection)) return false;
            AddToGroupLocked(connection, group);
            return true;
        }
    }

    public bool RemoveConnectionFromGroup(string connectionId, string group)
    {
        lock (_gate)
        {
            if (!_connections.TryGetValue(connectionId, out var connection)) return false;
            RemoveFromGroupLocked(connection, group);
            return true;
        }
    }

    public void RemoveConnectionFromAllGroups(string connectionId)
    {
        lock (_gate)
        {
            if (!_connections.TryGetValue(connectionId, out var connection)) return;
            foreach (var group in connection.Groups) RemoveFromIndexLocked(_groups, group, connection.Id);
            connection.Groups.Clear();
        }
    }

    /// <summary>
    /// Adds the user's current connections to the group, and (unless <paramref name="ttl"/> is zero)
    /// records the membership so the user's later connections join as well.
    /// </summary>
    public void AddUserToGroup(string user, string group, TimeSpan? ttl)
    {
        lock (_gate)
        {
            if (ttl != TimeSpan.Zero)
            {
                if (!_userGroups.TryGetValue(user, out var memberships))
                {
                    memberships = new(StringComparer.Ordinal);
                    _userGroups[user] = memberships;
                }
                memberships[group] = new Membership(clock.GetUtcNow() + (ttl ?? DefaultMembershipLifetime), ++_updates, ttl is null);
                if (ttl is null) DropOldestBeyondLimitLocked(user, memberships);
            }
            if (_users.TryGetValue(user, out var connections))
            {
                foreach (var (_, connection) in connections) AddToGroupLocked(connection, group);
            }
        }
        if (ttl != TimeSpan.Zero) MembershipsChanged?.Invoke();
    }

    public void RemoveUserFromGroup(string user, string group)
    {
        lock (_gate)
        {
            if (_userGroups.TryGetValue(user, out var memberships))
            {
                memberships.Remove(group);
                if (memberships.Count == 0) _userGroups.Remove(user);
            }
            if (_users.TryGetValue(user, out var connections))
            {
                foreach (var (_, connection) in connections) RemoveFromGroupLocked(connection, group);
            }
        }
        MembershipsChanged?.Invoke();
    }

    public void RemoveUserFromAllGroups(string user)
    {
        lock (_gate)
        {
            _userGroups.Remove(user);
            if (_users.TryGetValue(user, out var connections))
            {
                foreach (var (_, connection) in connections)
                {
                    foreach (var group in connection.Groups) RemoveFromIndexLocked(_groups, group, connection.Id);
                    connection.Groups.Clear();
                }
            }
        }
        MembershipsChanged?.Invoke();
    }

    /// <summary>A live membership row, or (for <c>ttl=0</c> joins) one of the user's connections in the group.</summary>
    public bool IsUserInGroup(string user, string group)
    {
        lock (_gate)
        {
            if (_userGroups.TryGetValue(user, out var memberships) && memberships.TryGetValue(group, out var membership))
            {
                if (membership.Expiry > clock.GetUtcNow()) return true;
                memberships.Remove(group);
                if (memberships.Count == 0) _userGroups.Remove(user);
            }
            if (_users.TryGetValue(user, out var connections))
            {
                foreach (var (_, connection) in connections)
                {
                    if (connection.Groups.Contains(group)) return true;
                }
            }
            return false;
        }
    }

    public IEnumerable<ClientConnection> AllConnections() => Values(_connections);

    public IEnumerable<ClientConnection> UserConnections(string user) =>
        _users.TryGetValue(user, out var connections) ? Values(connections) : [];

    public IEnumerable<ClientConnection> GroupConnections(string group) =>
        _groups.TryGetValue(group, out var connections) ? Values(connections) : [];

    // Enumerating a ConcurrentDictionary is lock-free; its Values property would take every lock and copy.
    private static IEnumerable<ClientConnection> Values(ConcurrentDictionary<string, ClientConnection> index)
    {
        foreach (var pair in index) yield return pair.Value;
    }

    /// <summary>Past the limit, the least recently updated membership without TTL goes, and the user's connections leave that group.</summary>
    private void DropOldestBeyondLimitLocked(string user, Dictionary<string, Membership> memberships)
    {
        var withoutTtl = memberships.Where(pair => pair.Value.WithoutTtl).ToList();
        if (withoutTtl.Count <= MaxMembershipsWithoutTtl) return;
        foreach (var (group, _) in withoutTtl.OrderBy(pair => pair.Value.Updated).Take(withoutTtl.Count - MaxMembershipsWithoutTtl))
        {
            memberships.Remove(group);
            if (_users.TryGetValue(user, out var connections))
            {
                foreach (var (_, connection) in connections) RemoveFromGroupLocked(connection, group);
            }
        }
    }

    private void AddToGroupLocked(ClientConnection connection, string group)
    {
        if (!connection.Groups.Add(group)) return;
        _groups.GetOrAdd(group, static _ => new(StringComparer.Ordinal))[connection.Id] = connection;
    }

    private void RemoveFromGroupLocked(ClientConnection connection, string group)
    {
        if (connection.Groups.Remove(group)) RemoveFromIndexLocked(_groups, group, connection.Id);
    }

    private static void RemoveFromIndexLocked(
        ConcurrentDictionary<string, ConcurrentDictionary<string, ClientConnection>> index, string key, string connectionId)
    {
        if (!index.TryGetValue(key, out var connections)) return;
        connections.TryRemove(connectionId, out _);
        // Safe only because every writer holds _gate: nobody can be adding to this inner map right now.
        if (connections.IsEmpty) index.TryRemove(key, out _);
    }
}
