using PushFunctions.Configuration;
using StackExchange.Redis;

namespace PushFunctions.Redis;

/// <summary>
/// The one multiplexer. It connects in the background and reconnects by itself, so the app starts
/// and keeps serving (503 for what needs Redis) while Redis is down, and recovers when it returns.
/// </summary>
public sealed class RedisConnection : IDisposable
{
    private readonly ConnectionMultiplexer multiplexer;
    private readonly RedisEntraAuthentication? entra;

    public RedisConnection(PushSettings settings, ILogger<RedisConnection> logger)
    {
        var options = ConfigurationOptions.Parse(settings.RedisConnectionString);
        options.AbortOnConnectFail = false;
        if (!settings.RedisConnectionString.Contains("connectTimeout", StringComparison.OrdinalIgnoreCase)) options.ConnectTimeout = 2000;
        if (!settings.RedisConnectionString.Contains("syncTimeout", StringComparison.OrdinalIgnoreCase)) options.SyncTimeout = 3000;
        if (!settings.RedisConnectionString.Contains("responseTimeout", StringComparison.OrdinalIgnoreCase)) options.ResponseTimeout = 3000;
        options.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);

        if (settings.RedisEntraClientId is { } redisClientId)
        {
            entra = RedisEntraAuthentication.Start(options, redisClientId, logger);
            options = entra.Options;
        }

        multiplexer = ConnectionMultiplexer.Connect(options);
        multiplexer.ConnectionFailed += (_, e) =>
            logger.LogWarning("Redis connection to {Endpoint} failed: {FailureType}", e.EndPoint, e.FailureType);
        multiplexer.ConnectionRestored += (_, e) =>
            logger.LogInformation("Redis connection to {Endpoint} restored", e.EndPoint);
        if (!multiplexer.IsConnected)
            logger.LogWarning("Redis is not reachable yet; requests that need it get 503 until it is");
    }

    public IDatabase Database => multiplexer.GetDatabase();

    public void Dispose()
    {
        multiplexer.Dispose();
        entra?.Dispose();
    }
}
