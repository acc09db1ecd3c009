using Azure.Core;
using Microsoft.Extensions.Logging;
using PushFunctions.IntegrationTests.Support;
using PushFunctions.Redis;
using PushFunctions.Security;
using PushFunctions.Tests.Support;
using StackExchange.Redis;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// Microsoft Entra auth to Redis against a real redis-server that stands in for Azure Managed Redis: the default user is
/// off, the identity is an ACL user named by its object id whose password is the token, and the test changes that
/// password as Entra would issue new tokens. Tokens come from a test credential on a hand-moved clock (no Azure here).
/// </summary>
[Trait("Host", PushAppHost.NoHostTrait)]
public sealed class RedisEntraTests
{
    private const string ObjectId = "6f0c2a4e-0000-4000-8000-00000000abcd";
    private const string AdminPassword = "admin-secret";
    private static readonly string Token1 = FakeJwt.With(new { oid = ObjectId, n = 1 });
    private static readonly string Token2 = FakeJwt.With(new { oid = ObjectId, n = 2 });
    private static readonly string WrongToken = FakeJwt.With(new { oid = ObjectId, n = 3 });

    private readonly ManualTimeProvider time = new(DateTimeOffset.UtcNow);
    private readonly TestCredential credential;
    private readonly CapturingLogger logger = new();

    public RedisEntraTests() => credential = new TestCredential(time) { Next = Token1 };

    /// <summary>Redis as Azure Managed Redis with Entra has it: no default user; the identity with <paramref name="passwords"/>.</summary>
    private static Task<RedisServer> StartRedisAsync(params string[] passwords) => RedisServer.StartAsync(
    [
        "--user", "default", "off",
        "--user", "admin", "on", ">" + AdminPassword, "~*", "&*", "+@all",
        "--user", ObjectId, "on", .. passwords.Select(p => ">" + p), "~*", "&*", "+@all",
    ]);

    private RedisConnection Connect(RedisServer redis) => new(
        redis.ConnectionString, logger, new EntraTokens(credential, RedisTokenAuthentication.Scope, time, "Redis (test)"), time, requireTls: false);

    private static async Task<IDatabase> AdminAsync(RedisServer redis) =>
        (await ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},user=admin,password={AdminPassword},allowAdmin=true")).GetDatabase();

    private static async Task<string?> WhoAmIAsync(IDatabase db) => (string?)await db.ExecuteAsync("ACL", "WHOAMI");

    private static async Task<long> ClientIdAsync(IDatabase db) => (long)await db.ExecuteAsync("CLIENT", "ID");

    private static async Task<long> AuthCallsAsync(IDatabase admin)
    {
        var stats = (string)(await admin.ExecuteAsync("INFO", "commandstats"))!;
        var line = stats.Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_auth:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split("calls=")[1].Split(',')[0]);
    }

    private static async Task<int> ConnectionsOfIdentityAsync(IDatabase admin) =>
        ((string)(await admin.ExecuteAsync("CLIENT", "LIST"))!).Split('\n').Count(l => l.Contains($" user={ObjectId} ", StringComparison.Ordinal));

    /// <summary>Entra issues <paramref name="next"/>; the clock moves until the app has sent an AUTH with it. Returns the AUTH count before.</summary>
    private async Task<long> RenewAsync(IDatabase admin, string next)
    {
        var before = await AuthCallsAsync(admin);
        credential.Next = next;
        await Eventually.TrueAsync(async () =>
        {
            time.Advance(TimeSpan.FromMinutes(56)); // renewed 5 minutes before the 1-hour token expires
            return await AuthCallsAsync(admin) > before;
        }, "an AUTH with the renewed token");
        return before;
    }

    [Fact]
    public async Task Connects_as_the_object_id_and_re_authenticates_the_live_connection_with_the_renewed_token()
    {
        await using var redis = await StartRedisAsync(Token1);
        var admin = await AdminAsync(redis);
        using var connection = Connect(redis);
        var db = connection.Database;

        Assert.Equal(ObjectId, await WhoAmIAsync(db));
        Assert.Equal([RedisTokenAuthentication.Scope], credential.Scopes.Distinct());
        Assert.Equal(1, await ConnectionsOfIdentityAsync(admin)); // pub/sub is off: one AUTH per server reaches every connection
        var clientId = await ClientIdAsync(db);

        // Entra issues a new token; the old one stays valid until it expires.
        await admin.ExecuteAsync("ACL", "SETUSER", ObjectId, ">" + Token2);
        var authsBefore = await RenewAsync(admin, Token2);

        Assert.Equal(authsBefore + 1, await AuthCallsAsync(admin));
        Assert.Equal(clientId, await ClientIdAsync(db)); // the same connection, not a new one
        Assert.Equal(ObjectId, await WhoAmIAsync(db));
        Assert.Empty(logger.Errors);
    }

    [Fact]
    public async Task Commands_in_flight_during_a_renewal_each_get_their_own_reply()
    {
        await using var redis = await StartRedisAsync(Token1, Token2);
        var admin = await AdminAsync(redis);
        using var connection = Connect(redis);
        var db = connection.Database;

        var renewed = new TaskCompletionSource();
        var load = Task.Run(async () =>
        {
            var replies = new List<long>();
            var roundsAfterRenewal = 0;
            while (roundsAfterRenewal < 5) // batches of 50 in flight before, around and after the AUTH
            {
                if (renewed.Task.IsCompleted) roundsAfterRenewal++;
                replies.AddRange(await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => db.StringIncrementAsync("counter"))));
            }
            return replies;
        });
        await RenewAsync(admin, Token2);
        renewed.SetResult();

        var replies = await load;
        Assert.Equal(Enumerable.Range(1, replies.Count).Select(i => (long)i), replies.Order());
        Assert.Equal(ObjectId, await WhoAmIAsync(db));
        Assert.Empty(logger.Errors);
    }

    [Fact]
    public async Task A_reconnect_authenticates_with_the_renewed_token_once_the_old_one_is_refused()
    {
        await using var redis = await StartRedisAsync(Token1, Token2);
        var admin = await AdminAsync(redis);
        using var connection = Connect(redis);
        var db = connection.Database;
        await db.StringSetAsync("k", "before");
        var firstClient = await ClientIdAsync(db);

        await RenewAsync(admin, Token2);
        // Token1 expires: the service no longer accepts it and closes the connections that used it.
        await admin.ExecuteAsync("ACL", "SETUSER", ObjectId, "resetpass", ">" + Token2);
        await admin.ExecuteAsync("CLIENT", "KILL", "USER", ObjectId);

        await Eventually.TrueAsync(async () => await ClientIdAsync(db) != firstClient);
        Assert.Equal(ObjectId, await WhoAmIAsync(db));
        Assert.Equal("before", (string?)await db.StringGetAsync("k"));
        Assert.Empty(logger.Errors);
    }

    [Fact]
    public async Task A_token_renewed_while_Redis_is_down_is_the_one_the_reconnect_uses()
    {
        var directory = Directory.CreateTempSubdirectory("pf-it-acl-");
        using var cleanup = new DirectoryCleanup(directory);
        var acl = Path.Combine(directory.FullName, "users.acl");
        string AclFile(string token) =>
            $"user default off\nuser admin on >{AdminPassword} ~* &* +@all\nuser {ObjectId} on >{token} ~* &* +@all\n";
        await File.WriteAllTextAsync(acl, AclFile(Token1));
        await using var redis = await RedisServer.StartAsync("--aclfile", acl);
        using var connection = Connect(redis);
        var db = connection.Database;
        Assert.Equal(ObjectId, await WhoAmIAsync(db));

        await redis.StopAsync();
        credential.Next = Token2;
        await Eventually.TrueAsync(() =>
        {
            time.Advance(TimeSpan.FromMinutes(56));
            return Task.FromResult(credential.Issued >= 2);
        });
        // By the time Redis is back, the first token has expired: only the renewed one is accepted.
        await File.WriteAllTextAsync(acl, AclFile(Token2));
        await redis.StartAsync();

        await Eventually.TrueAsync(async () => await WhoAmIAsync(db) == ObjectId, "the app back on Redis with the renewed token");
        Assert.Empty(logger.Errors);
    }

    [Fact]
    public async Task A_refused_renewal_is_logged_without_the_token_and_Redis_records_it_for_that_connection()
    {
        await using var redis = await StartRedisAsync(Token1);
        var admin = await AdminAsync(redis);
        using var connection = Connect(redis);
        var db = connection.Database;
        var clientId = await ClientIdAsync(db);

        credential.Next = WrongToken;
        await Eventually.TrueAsync(() =>
        {
            time.Advance(TimeSpan.FromMinutes(56));
            return Task.FromResult(logger.Errors.Any(e => e.Contains("refused the Microsoft Entra token", StringComparison.Ordinal)));
        });

        Assert.DoesNotContain(logger.All, e => e.Contains(WrongToken, StringComparison.Ordinal) || e.Contains(Token1, StringComparison.Ordinal));
        var refusals = ((RedisResult[])(await admin.ExecuteAsync("ACL", "LOG"))!).Select(entry => entry.ToDictionary()).ToList();
        Assert.Contains(refusals, r => (string?)r["reason"] == "auth" && (string?)r["username"] == ObjectId
            && ((string?)r["client-info"] ?? "").Contains($"id={clientId} ", StringComparison.Ordinal));
        // Redis keeps the connection on its earlier AUTH until the service closes it at the old token's expiry.
        Assert.Equal(ObjectId, await WhoAmIAsync(db));
    }

    [Fact]
    public async Task A_refused_token_at_start_means_no_connection_until_the_identity_is_let_in()
    {
        await using var redis = await StartRedisAsync(Token1);
        var admin = await AdminAsync(redis);
        credential.Next = WrongToken;
        using var connection = Connect(redis);
        var db = connection.Database;

        await Assert.ThrowsAnyAsync<RedisConnectionException>(() => db.PingAsync());
        Assert.Contains(logger.All, e => e.Contains($"not reachable yet as Microsoft Entra user {ObjectId}", StringComparison.Ordinal));

        await admin.ExecuteAsync("ACL", "SETUSER", ObjectId, ">" + WrongToken); // e.g. the access policy assignment arrives
        await Eventually.TrueAsync(async () => await WhoAmIAsync(db) == ObjectId);
    }

    [Fact]
    public async Task No_token_at_start_still_starts_and_connects_once_Entra_answers()
    {
        await using var redis = await StartRedisAsync(Token1);
        credential.Failing = true;
        using var connection = Connect(redis);
        var db = connection.Database;

        await Assert.ThrowsAnyAsync<RedisConnectionException>(() => db.PingAsync());
        Assert.Contains(logger.All, e => e.Contains("no token yet", StringComparison.Ordinal));

        credential.Failing = false;
        await Eventually.TrueAsync(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(2)); // past the renewal loop's retry delay
            return await WhoAmIAsync(db) == ObjectId;
        });
    }

    /// <summary>Hands out the token the test chose, valid for an hour on the test's clock.</summary>
    private sealed class TestCredential(TimeProvider time) : TokenCredential
    {
        private readonly List<string> scopes = [];
        private int issued;

        public string Next { get; set; } = "";
        public bool Failing { get; set; }
        public int Issued => Volatile.Read(ref issued);
        public IReadOnlyList<string> Scopes { get { lock (scopes) return [.. scopes]; } }

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            lock (scopes) scopes.AddRange(requestContext.Scopes);
            if (Failing) throw new InvalidOperationException("managed identity endpoint unreachable");
            Interlocked.Increment(ref issued);
            return ValueTask.FromResult(new AccessToken(Next, time.GetUtcNow().AddHours(1)));
        }
    }

    private sealed class DirectoryCleanup(DirectoryInfo directory) : IDisposable
    {
        public void Dispose() => directory.Delete(recursive: true);
    }

    private sealed class CapturingLogger : ILogger
    {
        private readonly List<(LogLevel Level, string Text)> entries = [];

        public IReadOnlyList<string> All { get { lock (entries) return entries.Select(e => e.Text).ToList(); } }
        public IReadOnlyList<string> Errors { get { lock (entries) return entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Text).ToList(); } }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (entries) entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
