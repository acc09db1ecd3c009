using System.Security.Cryptography;
using System.Buffers.Text;
using StackExchange.Redis;
using PushFunctions.Http;
using PushFunctions.Redis;
using PushFunctions.Security;

namespace PushFunctions.Sessions;

/// <summary>
/// Sessions in Redis: one hash per session that expires with it, and each user's set of session ids.
/// Revoking deletes the hash, so every later use of its token fails at once.
/// </summary>
public sealed class SessionStore(RedisConnection redis, TimeProvider time) : ISessionUsers
{
    private static RedisKey SessionKey(string sessionId) => $"pf:{{session:{sessionId}}}";
    private static RedisKey UserSessionsKey(string userId) => $"pf:{{user:{userId}}}:sessions";

    public async Task<Session> CreateAsync(string userId, string userName, string? device, TimeSpan lifetime)
    {
        var now = time.GetUtcNow();
        var session = new Session(NewId(), userId, userName, device, now, now + lifetime);
        var db = redis.Database;
        // The index first: a session that exists is always listed, so account deletion finds it. It lives as long
        // as the user's longest session.
        var index = db.CreateTransaction();
        _ = index.SetAddAsync(UserSessionsKey(userId), session.Id);
        index.KeepAtLeastUntil(UserSessionsKey(userId), session.ExpiresAt);
        await index.ExecuteAsync();
        var key = SessionKey(session.Id);
        var batch = db.CreateTransaction();
        _ = batch.HashSetAsync(key,
        [
            new HashEntry("uid", userId),
            new HashEntry("name", userName),
            new HashEntry("device", device ?? ""),
            new HashEntry("created", now.ToUnixTimeMilliseconds()),
            new HashEntry("expires", session.ExpiresAt.ToUnixTimeMilliseconds()),
        ]);
        _ = batch.KeyExpireAsync(key, session.ExpiresAt.UtcDateTime);
        await batch.ExecuteAsync();
        return session;
    }

    public async Task<Session?> GetAsync(string sessionId)
    {
        var fields = await redis.Database.HashGetAllAsync(SessionKey(sessionId));
        return fields.Length == 0 ? null : Read(sessionId, fields);
    }

    /// <summary>The session's user; none for a session stored for an id the API now refuses (it could not be addressed safely).</summary>
    public async Task<PushUser?> FindAsync(string sessionId) =>
        await GetAsync(sessionId) is { } session && Ids.IsValid(session.UserId)
            ? new PushUser(session.UserId, session.UserName, session.Id, session.ExpiresAt)
            : null;

    /// <summary>The user's live sessions; ids of expired ones are pruned from the index on the way.</summary>
    public async Task<IReadOnlyList<Session>> ListAsync(string userId)
    {
        var db = redis.Database;
        var ids = await db.SetMembersAsync(UserSessionsKey(userId));
        var sessions = await Task.WhenAll(ids.Select(id => GetAsync(id!)));
        var expired = ids.Where((_, i) => sessions[i] is null).ToArray();
        if (expired.Length > 0) await db.SetRemoveAsync(UserSessionsKey(userId), expired);
        return sessions.OfType<Session>().OrderBy(s => s.CreatedAt).ToList();
    }

    /// <summary>Deletes the session; returns it, or null when it was already gone.</summary>
    public async Task<Session?> RevokeAsync(string sessionId)
    {
        var session = await GetAsync(sessionId);
        if (session is null) return null;
        await redis.Database.KeyDeleteAsync(SessionKey(sessionId));
        await redis.Database.SetRemoveAsync(UserSessionsKey(session.UserId), sessionId);
        return session;
    }

    /// <summary>Deletes every session of the user; returns how many were live.</summary>
    public async Task<int> RevokeAllAsync(string userId)
    {
        var db = redis.Database;
        var ids = await db.SetMembersAsync(UserSessionsKey(userId));
        // One key at a time: session keys live in different hash slots.
        var deleted = await Task.WhenAll(ids.Select(id => db.KeyDeleteAsync(SessionKey(id!))));
        await db.KeyDeleteAsync(UserSessionsKey(userId));
        return deleted.Count(d => d);
    }

    private static Session Read(string id, HashEntry[] fields)
    {
        var map = fields.ToDictionary(f => (string)f.Name!, f => f.Value);
        var device = (string?)map.GetValueOrDefault("device");
        return new Session(
            id,
            map["uid"]!,
            map["name"]!,
            string.IsNullOrEmpty(device) ? null : device,
            DateTimeOffset.FromUnixTimeMilliseconds((long)map["created"]),
            DateTimeOffset.FromUnixTimeMilliseconds((long)map["expires"]));
    }

    private static string NewId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
}
