using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace TodoBackend.Accounts;

/// <summary>Users who signed in, and the demo's own bearer tokens (in memory: a restart signs everyone out).</summary>
public sealed class AccountStore
{
    private readonly ConcurrentDictionary<string, DemoUser> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DemoUser> _tokens = new(StringComparer.Ordinal);

    /// <summary>Signs in (creating the user on first sign-in) and returns a new app token for this tab.</summary>
    public (DemoUser User, string AppToken, bool Created) SignIn(string userId, string displayName)
    {
        var created = false;
        var user = _users.GetOrAdd(userId, id => { created = true; return new DemoUser(id, displayName); });
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _tokens[token] = user;
        return (user, token, created);
    }

    public DemoUser? FindByToken(string token) => _tokens.TryGetValue(token, out var user) ? user : null;

    public DemoUser? Find(string userId) => _users.TryGetValue(userId, out var user) ? user : null;

    public IReadOnlyList<DemoUser> All() => [.. _users.Values.OrderBy(u => u.Name, StringComparer.OrdinalIgnoreCase)];

    public void SignOut(string token) => _tokens.TryRemove(token, out _);

    /// <summary>Forgets the user and every token they hold.</summary>
    public bool Delete(string userId)
    {
        foreach (var (token, user) in _tokens)
            if (user.Id == userId) _tokens.TryRemove(token, out _);
        return _users.TryRemove(userId, out _);
    }
}
