using Azure.Core;
using Microsoft.Extensions.Logging;
using Moq;
using PushFunctions.Configuration;
using PushFunctions.Redis;
using PushFunctions.Security;
using PushFunctions.Tests.Support;
using StackExchange.Redis;

namespace PushFunctions.Tests;

/// <summary>Entra auth to Redis without a server: settings and the first token. Against a real redis-server: RedisEntraTests.</summary>
public sealed class RedisTokenAuthenticationTests
{
    private const string ObjectId = "6f0c2a4e-0000-4000-8000-00000000abcd";

    private readonly ManualTimeProvider time = new(DateTimeOffset.UtcNow);
    private readonly Mock<TokenCredential> credential = new();
    private readonly Mock<ILogger> logger = new();

    private RedisTokenAuthentication For(ConfigurationOptions options) =>
        new(new EntraTokens(credential.Object, RedisTokenAuthentication.Scope, time, "Redis (test)"), options, time, logger.Object);

    private void Issue(string token) => credential
        .Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
        .ReturnsAsync(new AccessToken(token, time.GetUtcNow().AddHours(1)));

    private void VerifyLogged(LogLevel level, string text) => logger.Verify(l => l.Log(level, It.IsAny<EventId>(),
        It.Is<It.IsAnyType>((state, _) => state.ToString()!.Contains(text)), It.IsAny<Exception?>(), It.IsAny<Func<It.IsAnyType, Exception?, string>>()));

    [Theory]
    [InlineData("redis.example:10000,ssl=true,password=secret", "remove the user and password")]
    [InlineData("redis.example:10000,ssl=true,user=someone", "remove the user and password")]
    [InlineData("redis.example:10000", "ssl=true")]
    public void Unusable_connection_strings_stop_the_app_naming_the_settings(string connectionString, string advice)
    {
        var failure = Assert.Throws<InvalidSettingsException>(() => RedisTokenAuthentication.Validate(ConfigurationOptions.Parse(connectionString)));
        Assert.Contains(SettingNames.RedisConnectionString, failure.Message);
        Assert.Contains(SettingNames.RedisEntraClientId, failure.Message);
        Assert.Contains(advice, failure.Message);
    }

    [Theory]
    [InlineData("demo.westeurope.redis.azure.net:10000,ssl=true,abortConnect=false")]
    [InlineData("a.example:10000,b.example:10000,ssl=true")] // every server is re-authenticated, so a cluster's endpoints may all be named
    public void Usable_connection_strings_pass(string connectionString) =>
        RedisTokenAuthentication.Validate(ConfigurationOptions.Parse(connectionString));

    [Fact]
    public void The_first_token_becomes_the_user_and_password_of_every_handshake()
    {
        var token = FakeJwt.With(new { oid = ObjectId });
        Issue(token);
        var options = RedisConnection.Options("redis.example:10000,ssl=true");

        using var entra = For(options);
        entra.WaitForFirstToken(TimeSpan.FromSeconds(10));

        Assert.Equal(ObjectId, options.User);
        Assert.Equal(token, options.Password);
        credential.Verify(c => c.GetTokenAsync(It.Is<TokenRequestContext>(r => r.Scopes.SequenceEqual(new[] { "https://redis.azure.com/.default" })), It.IsAny<CancellationToken>()));
    }

    [Fact]
    public void A_token_without_an_object_id_is_not_used_and_the_log_says_why()
    {
        Issue(FakeJwt.With(new { sub = "x" }));
        var options = RedisConnection.Options("redis.example:10000,ssl=true");

        using var entra = For(options);
        entra.WaitForFirstToken(TimeSpan.FromSeconds(10));

        Assert.Null(options.Password);
        VerifyLogged(LogLevel.Warning, "no 'oid' claim");
    }

    [Fact]
    public void Without_a_token_at_start_the_app_still_starts_and_says_so()
    {
        credential.Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("IMDS unreachable"));
        var options = RedisConnection.Options("redis.example:10000,ssl=true");

        using var entra = For(options);
        entra.WaitForFirstToken(TimeSpan.FromSeconds(10));

        Assert.Null(options.Password);
        VerifyLogged(LogLevel.Warning, "IMDS unreachable");
    }
}

/// <summary>The client options the app connects with.</summary>
public sealed class RedisConnectionOptionsTests
{
    [Theory]
    [InlineData("127.0.0.1:6379", 2000, 3000, 3000)]
    [InlineData("127.0.0.1:6379,connectTimeout=9000", 9000, 3000, 3000)]
    [InlineData("127.0.0.1:6379,syncTimeout=8000", 2000, 8000, 3000)]
    [InlineData("127.0.0.1:6379,asyncTimeout=7000", 2000, 3000, 7000)]
    public void The_app_s_timeouts_apply_where_the_connection_string_names_none(string connectionString, int connect, int sync, int async)
    {
        var options = RedisConnection.Options(connectionString);
        Assert.Equal((connect, sync, async), (options.ConnectTimeout, options.SyncTimeout, options.AsyncTimeout));
    }

    [Fact]
    public void The_app_starts_while_Redis_is_down_and_commands_fail_at_once_instead_of_queueing()
    {
        var options = RedisConnection.Options("127.0.0.1:6379,abortConnect=true");
        Assert.False(options.AbortOnConnectFail);
        Assert.False(options.BacklogPolicy.QueueWhileDisconnected);
    }

    [Fact]
    public void Pub_sub_is_off_so_each_server_has_one_connection_to_authenticate()
    {
        var options = RedisConnection.Options("127.0.0.1:6379");
        Assert.Equal("", options.ConfigurationChannel);
        var map = options.CommandMap.ToString();
        foreach (var command in new[] { "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE" }) Assert.Contains("$" + command + "=", map);
    }
}
