using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using PushFunctions.Configuration;

namespace PushFunctions.IntegrationTests.Support;

/// <summary>Settings for tests that use the app's stores directly against a test Redis (no app host, no SignalR Service).</summary>
public static class StoreSettings
{
    /// <summary>The presence settings and the hub, as Presence's classes take them.</summary>
    public static PushSettings For(ITestRedis redis, IReadOnlyDictionary<string, string>? tuning = null)
    {
        var configuration = Configuration(redis, tuning);
        return new PushSettings(Options.Create(Settings.Read<PresenceOptions>(configuration)), Options.Create(Settings.Read<SignalROptions>(configuration)));
    }

    /// <summary>The Redis settings of a RedisConnection to the test Redis.</summary>
    public static IOptions<RedisOptions> Redis(ITestRedis redis) => Options.Create(Settings.Read<RedisOptions>(Configuration(redis)));

    public static IConfiguration Configuration(ITestRedis redis, IReadOnlyDictionary<string, string>? tuning = null)
    {
        var values = new Dictionary<string, string?>
        {
            [Key(SettingNames.SignalRConnectionString)] = "Endpoint=http://127.0.0.1;Port=1;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;",
            [Key(SettingNames.RedisConnectionString)] = redis.ConnectionString,
            [Key(SettingNames.ServerKeys)] = "server-key-0123456789",
            [Key(SettingNames.SessionSigningKeys)] = "session-signing-key-0123456789abcdef",
        };
        foreach (var (name, value) in tuning ?? new Dictionary<string, string>()) values[Key(name)] = value;
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    /// <summary>Setting names are written for environment variables (<c>__</c>); configuration keys use <c>:</c>.</summary>
    private static string Key(string name) => name.Replace("__", ":");
}
