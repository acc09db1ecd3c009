using Microsoft.Extensions.Options;
using PushFunctions.Configuration;
using PushFunctions.Security;
using StackExchange.Redis;

namespace PushFunctions.Redis;

/// <summary>
/// The one multiplexer. It connects in the background and reconnects by itself, so the app starts
/// and keeps serving (503 for what needs Redis) while Redis is down, and recovers when it returns.
/// </summary>
public sealed class RedisConnection : IDisposable
{
    private readonly ConnectionMultiplexer multiplexer;
    private readonly RedisTokenAuthentication? entra;

    public RedisConnection(IOptions<RedisOptions> settings, ILogger<RedisConnection> logger, TimeProvider time)
        : this(settings.Value.RedisConnectionString, logger, settings.Value.RedisEntraClientId is { } clientId
            ? new EntraTokens(EntraTokens.ManagedIdentity(clientId), RedisTokenAuthentication.Scope, time, "Azure Managed Redis")
            : null, time)
    {
    }

    /// <param name="entraTokens">Where Microsoft Entra tokens for Redis come from (tests drive it); null for a password or none.</param>
    internal RedisConnection(string connectionString, ILogger logger, EntraTokens? entraTokens, TimeProvider time, bool requireTls = true)
    {
        var options = Options(connectionString);
        if (entraTokens is not null)
        {
            RedisTokenAuthentication.Validate(options, requireTls);
            entra = new RedisTokenAuthentication(entraTokens, options, time, logger);
            entra.WaitForFirstToken(TimeSpan.FromMilliseconds(options.ConnectTimeout));
        }

        multiplexer = ConnectionMultiplexer.Connect(options);
        multiplexer.ConnectionFailed += (_, e) =>
            logger.LogWarning("Redis connection to {Endpoint} failed: {FailureType}", e.EndPoint, e.FailureType);
        multiplexer.ConnectionRestored += (_, e) =>
            logger.LogInformation("Redis connection to {Endpoint} restored", e.EndPoint);
        entra?.Start(multiplexer);
        if (!multiplexer.IsConnected && entraTokens is not null)
            logger.LogWarning("Redis is not reachable yet as Microsoft Entra user {User}: if this lasts, check the network and that Redis has an access policy for that object id; requests that need Redis get 503 until then", options.User ?? "(no token yet)");
        else if (!multiplexer.IsConnected)
            logger.LogWarning("Redis is not reachable yet; requests that need it get 503 until it is");
    }

    public IDatabase Database => multiplexer.GetDatabase();

    /// <summary>For the tracing instrumentation, which profiles every command on it.</summary>
    internal IConnectionMultiplexer Multiplexer => multiplexer;

    /// <summary>The client's options for <paramref name="connectionString"/> with the app's defaults where it names none.</summary>
    internal static ConfigurationOptions Options(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        if (!Names(connectionString, "connectTimeout")) options.ConnectTimeout = 2000;
        if (!Names(connectionString, "syncTimeout")) options.SyncTimeout = 3000;
        if (!Names(connectionString, "asyncTimeout")) options.AsyncTimeout = 3000;
        options.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);
        // While Redis is down a command fails at once (503 + Retry-After), instead of waiting in the
        // client's backlog for a connection until it times out.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        // The app never subscribes: without pub/sub each server has one connection, so one AUTH per server
        // re-authenticates all of them (RedisTokenAuthentication).
        options.CommandMap = CommandMap.Create(["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"], available: false);
        options.ConfigurationChannel = "";
        return options;
    }

    private static bool Names(string connectionString, string option) =>
        connectionString.Split(',').Any(part => part.Trim().StartsWith(option + "=", StringComparison.OrdinalIgnoreCase));

    public void Dispose()
    {
        entra?.Dispose();
        multiplexer.Dispose();
    }
}
