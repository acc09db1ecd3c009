using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Azure.Core;
using Microsoft.Extensions.Logging;
using Moq;
using PushFunctions.Configuration;
using PushFunctions.Redis;
using PushFunctions.Tests.Support;
using StackExchange.Redis;

namespace PushFunctions.Tests;

public sealed class RespFramingTests
{
    [Theory]
    [InlineData("+OK\r\n", 5)]
    [InlineData("-NOAUTH Authentication required.\r\n", 34)]
    [InlineData(":42\r\n", 5)]
    [InlineData("$3\r\nabc\r\n", 9)]
    [InlineData("$-1\r\n", 5)]
    [InlineData("*-1\r\n", 5)]
    [InlineData("*0\r\n", 4)]
    [InlineData("*2\r\n$1\r\na\r\n*2\r\n:1\r\n$2\r\n\r\n\r\n", 27)]
    [InlineData("$4\r\na\r\nb\r\n+OK\r\n", 10)] // CR LF inside a bulk string
    public void Measures_whole_values(string data, int length) =>
        Assert.Equal(length, Resp.FrameLength(Encoding.ASCII.GetBytes(data)));

    [Theory]
    [InlineData("")]
    [InlineData("+OK")]
    [InlineData("$3\r\nab")]
    [InlineData("*2\r\n$1\r\na\r\n")]
    [InlineData("*2\r\n$1\r\na\r\n*1\r\n")]
    public void Reports_incomplete_values(string data) =>
        Assert.Equal(0, Resp.FrameLength(Encoding.ASCII.GetBytes(data)));

    [Fact]
    public void Rejects_what_is_not_RESP2() =>
        Assert.Throws<InvalidDataException>(() => Resp.FrameLength("%1\r\n"u8));

    [Fact]
    public void Writes_AUTH_with_user_and_token() =>
        Assert.Equal("*3\r\n$4\r\nAUTH\r\n$3\r\noid\r\n$5\r\nt.k.n\r\n", Encoding.UTF8.GetString(Resp.Command("AUTH", "oid", "t.k.n")));
}

public sealed class RedisEntraAuthenticationTests : IAsyncLifetime
{
    private const string ObjectId = "6f0c2a4e-0000-4000-8000-00000000abcd";
    private static readonly string Token1 = FakeJwt.With(new { oid = ObjectId, n = 1 });
    private static readonly string Token2 = FakeJwt.With(new { oid = ObjectId, n = 2 });
    private static readonly string WrongToken = FakeJwt.With(new { oid = ObjectId, n = 3 });

    private readonly ManualTimeProvider time = new(DateTimeOffset.UtcNow);
    private readonly Mock<TokenCredential> credential = new();
    private readonly List<string> scopes = [];
    private readonly CapturingLogger logger = new();
    private string nextToken = Token1;
    private Process? redis;
    private string? directory;
    private int port;

    public RedisEntraAuthenticationTests()
    {
        credential
            .Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .Returns((TokenRequestContext context, CancellationToken _) =>
            {
                lock (scopes) scopes.AddRange(context.Scopes);
                return ValueTask.FromResult(new AccessToken(Volatile.Read(ref nextToken), time.GetUtcNow().AddHours(1)));
            });
    }

    private static bool HaveRedis => File.Exists("/usr/bin/redis-server");

    public async Task InitializeAsync()
    {
        if (!HaveRedis) return;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        directory = Directory.CreateTempSubdirectory("redis-entra-").FullName;
        var config = Path.Combine(directory, "redis.conf");
        await File.WriteAllTextAsync(config, $"""
            port {port}
            bind 127.0.0.1
            save ""
            appendonly no
            dir {directory}
            user default on >admin-password ~* &* +@all
            user {ObjectId} on >{Token1} >{Token2} ~* &* +@all
            """);
        redis = Process.Start(new ProcessStartInfo("/usr/bin/redis-server", config) { RedirectStandardOutput = true, UseShellExecute = false })!;
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new InvalidOperationException("redis-server did not start");
    }

    public Task DisposeAsync()
    {
        if (redis is { HasExited: false }) redis.Kill();
        redis?.Dispose();
        if (directory is not null) Directory.Delete(directory, recursive: true);
        return Task.CompletedTask;
    }

    private RedisEntraAuthentication Start() => RedisEntraAuthentication.Start(
        ConfigurationOptions.Parse($"127.0.0.1:{port},abortConnect=false,connectTimeout=5000"), "client-id", logger, time, credential.Object, requireTls: false);

    private ConnectionMultiplexer Admin() => ConnectionMultiplexer.Connect($"127.0.0.1:{port},password=admin-password,allowAdmin=true");

    private static long AuthCalls(ConnectionMultiplexer admin)
    {
        var stats = admin.GetServer(admin.GetEndPoints()[0]).InfoRaw("commandstats");
        var line = stats.Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_auth:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split("calls=")[1].Split(',')[0]);
    }

    [Fact]
    public async Task Authenticates_as_the_object_id_and_re_authenticates_live_connections_with_a_new_token()
    {
        if (!HaveRedis) return;
        using var admin = Admin();
        using var entra = Start();
        using var app = ConnectionMultiplexer.Connect(entra.Options);
        var db = app.GetDatabase();

        await db.StringSetAsync("k", "v");
        Assert.Equal("v", (string?)await db.StringGetAsync("k"));
        Assert.Equal(ObjectId, (string?)await db.ExecuteAsync("ACL", "WHOAMI"));
        Assert.Equal(["https://redis.azure.com/.default"], scopes.Distinct());
        Assert.Equal(1, entra.ConnectionCount); // no subscription connection
        var before = AuthCalls(admin);

        // Commands keep flowing while the token is renewed; every reply must reach its own command.
        Volatile.Write(ref nextToken, Token2);
        var load = Task.Run(async () =>
        {
            var replies = new List<long>();
            for (var round = 0; round < 20; round++)
                replies.AddRange(await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => db.StringIncrementAsync("counter"))));
            return replies;
        });
        time.Advance(TimeSpan.FromMinutes(56)); // the token is due 5 minutes before it expires
        await EntraTokensTests.WaitUntil(() => AuthCalls(admin) == before + 1);
        var replies = await load;

        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), replies.Order());
        Assert.Equal(ObjectId, (string?)await db.ExecuteAsync("ACL", "WHOAMI"));
        Assert.Equal("v", (string?)await db.StringGetAsync("k"));
        Assert.True(app.IsConnected);
        Assert.Empty(logger.Errors);
    }

    [Fact]
    public async Task A_refused_renewal_closes_the_connection_and_says_why()
    {
        if (!HaveRedis) return;
        using var entra = Start();
        using var app = ConnectionMultiplexer.Connect(entra.Options);
        Assert.Equal(ObjectId, (string?)await app.GetDatabase().ExecuteAsync("ACL", "WHOAMI"));

        Volatile.Write(ref nextToken, WrongToken);
        time.Advance(TimeSpan.FromMinutes(56));

        await EntraTokensTests.WaitUntil(() => logger.Errors.Any(e => e.Contains("refused the Microsoft Entra token")));
        await EntraTokensTests.WaitUntil(() => !app.IsConnected || entra.ConnectionCount == 0);
    }

    [Fact]
    public async Task A_refused_token_means_no_connection()
    {
        if (!HaveRedis) return;
        nextToken = WrongToken;
        using var entra = Start();
        using var app = ConnectionMultiplexer.Connect(entra.Options);
        await EntraTokensTests.WaitUntil(() => logger.Errors.Any(e => e.Contains("WRONGPASS") || e.Contains("refused")));
        Assert.False(app.IsConnected);
    }

    [Theory]
    [InlineData("redis.example:10000,ssl=true,password=secret", "remove the password")]
    [InlineData("redis.example:10000", "ssl=true")]
    [InlineData("a.example:10000,b.example:10000,ssl=true", "exactly one endpoint")]
    public void Unusable_connection_strings_stop_the_app_naming_the_settings(string connectionString, string advice)
    {
        var failure = Assert.Throws<InvalidSettingsException>(() =>
            RedisEntraAuthentication.Start(ConfigurationOptions.Parse(connectionString), "client-id", logger, time, credential.Object));
        Assert.Contains(SettingNames.RedisConnectionString, failure.Message);
        Assert.Contains(SettingNames.RedisEntraClientId, failure.Message);
        Assert.Contains(advice, failure.Message);
    }

    [Fact]
    public void The_multiplexer_is_pointed_at_the_loopback_relay_without_password_or_pub_sub()
    {
        using var entra = RedisEntraAuthentication.Start(
            ConfigurationOptions.Parse("demo.westeurope.redis.azure.net:10000,ssl=true,abortConnect=false"), "client-id", logger, time, credential.Object);
        var endpoint = Assert.IsType<IPEndPoint>(Assert.Single(entra.Options.EndPoints));
        Assert.Equal(IPAddress.Loopback, endpoint.Address);
        Assert.False(entra.Options.Ssl);
        Assert.Null(entra.Options.Password);
        Assert.Equal("", entra.Options.ConfigurationChannel);
        Assert.Contains("SUBSCRIBE", entra.Options.CommandMap.ToString());
    }

    private sealed class CapturingLogger : ILogger
    {
        private readonly List<string> errors = [];
        public IReadOnlyList<string> Errors { get { lock (errors) return [.. errors]; } }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning) lock (errors) errors.Add(formatter(state, exception));
        }
    }
}
