using PushFunctions.Configuration;
using PushFunctions.Security;
using StackExchange.Redis;

namespace PushFunctions.Redis;

/// <summary>
/// Microsoft Entra auth to Azure Managed Redis with the client's own <c>AUTH &lt;user&gt; &lt;password&gt;</c>: user = the
/// token's <c>oid</c> (the identity's object id), password = the token (docs/DEPLOY.md "Redis with Entra").
///
/// The client reads <see cref="ConfigurationOptions.User"/> and <see cref="ConfigurationOptions.Password"/> at every
/// handshake, so a new or re-established connection authenticates with the token current then. A live connection
/// would be closed by the service when its token expires, so before that the renewed token is sent as
/// <c>AUTH</c> on every server's connection: without pub/sub (<see cref="RedisConnection"/>) that is each server's only
/// connection. A restored connection is authenticated again too, in case its handshake raced a renewal.
/// </summary>
public sealed class RedisTokenAuthentication : IDisposable
{
    public const string Scope = "https://redis.azure.com/.default";
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly EntraTokens tokens;
    private readonly ConfigurationOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private IConnectionMultiplexer? multiplexer;
    private Task? renewLoop;

    public RedisTokenAuthentication(EntraTokens tokens, ConfigurationOptions options, TimeProvider time, ILogger logger)
    {
        this.tokens = tokens;
        this.options = options;
        this.time = time;
        this.logger = logger;
    }

    /// <summary>
    /// Throws <see cref="InvalidSettingsException"/> naming the settings when <paramref name="options"/> (from
    /// RedisConnectionString) cannot be used with Entra: it has a password, or it is not TLS.
    /// </summary>
    public static void Validate(ConfigurationOptions options, bool requireTls = true)
    {
        var problems = new List<string>();
        var prefix = $"Setting '{SettingNames.RedisConnectionString}' with '{SettingNames.RedisEntraClientId}' set:";
        if (!string.IsNullOrEmpty(options.Password) || !string.IsNullOrEmpty(options.User))
            problems.Add($"{prefix} remove the user and password (the app authenticates with a Microsoft Entra token), or leave '{SettingNames.RedisEntraClientId}' empty to use the access key.");
        if (requireTls && !options.Ssl)
            problems.Add($"{prefix} add ssl=true (Microsoft Entra authentication needs TLS; Azure Managed Redis listens on port 10000).");
        if (problems.Count > 0) throw new InvalidSettingsException(problems);
    }

    /// <summary>
    /// Gets the first token before the first connection, waiting at most <paramref name="wait"/>. Without one the app
    /// still starts: connections fail (503) until the renewal loop has a token, and the client's reconnects then use it.
    /// </summary>
    public void WaitForFirstToken(TimeSpan wait)
    {
        try
        {
            using var timeout = new CancellationTokenSource(wait);
            var token = tokens.GetTokenAsync(timeout.Token).AsTask().GetAwaiter().GetResult();
            Use(token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning("Redis Entra: no token yet ({Message}); connecting once there is one", e.Message);
        }
    }

    /// <summary>Keeps <paramref name="connected"/>'s connections authenticated from now on.</summary>
    public void Start(IConnectionMultiplexer connected)
    {
        multiplexer = connected;
        connected.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive && e.EndPoint is { } endpoint && options.Password is { } token)
                _ = AuthenticateAsync(connected.GetServer(endpoint), options.User!, token);
        };
        renewLoop = RenewAsync();
    }

    /// <summary>Renews the token before it expires and re-AUTHs every server's connection with it.</summary>
    private async Task RenewAsync()
    {
        var retryDelay = TimeSpan.FromSeconds(1);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var entry = await tokens.GetEntryAsync(waitForRefresh: true, stopping.Token);
                var token = entry.Value.Token;
                if (token != options.Password)
                {
                    Use(token);
                    await Task.WhenAll(multiplexer!.GetServers().Where(s => s.IsConnected)
                        .Select(server => AuthenticateAsync(server, options.User!, token)));
                }
                retryDelay = TimeSpan.FromSeconds(1);
                var wait = entry.RefreshAt - time.GetUtcNow();
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time, stopping.Token);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError("Redis Entra: {Message}; retrying in {Delay}", e.Message, retryDelay);
                try
                {
                    await Task.Delay(retryDelay, time, stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                retryDelay = TimeSpan.FromSeconds(Math.Min(MaxRetryDelay.TotalSeconds, retryDelay.TotalSeconds * 2));
            }
        }
    }

    /// <summary>Makes <paramref name="token"/> the one every later handshake uses.</summary>
    private void Use(string token)
    {
        options.User = EntraTokens.ReadClaim(token, "oid")
            ?? throw new InvalidOperationException("The Microsoft Entra token for Redis has no 'oid' claim to use as the Redis user name.");
        options.Password = token;
    }

    private async Task AuthenticateAsync(IServer server, string user, string token)
    {
        try
        {
            await server.ExecuteAsync("AUTH", user, token);
        }
        catch (RedisServerException e)
        {
            // The connection stays authenticated with the previous token until that expires; then the service closes it
            // and the reconnect tries the current token again.
            logger.LogError("Redis {Endpoint} refused the Microsoft Entra token: {Message}", server.EndPoint, e.Message);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Not connected (or gone while sending): its next handshake uses the new token.
            logger.LogWarning("Redis {Endpoint}: re-authentication deferred to the next connection: {Message}", server.EndPoint, e.Message);
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        try
        {
            renewLoop?.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // stopping: already logged
        }
        stopping.Dispose();
    }
}
