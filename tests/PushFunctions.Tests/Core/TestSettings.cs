using Microsoft.Extensions.Configuration;
using PushFunctions.Configuration;

namespace PushFunctions.Tests.Core;

/// <summary>Valid settings for unit tests, with the parts a test cares about overridden.</summary>
internal static class TestSettings
{
    public static Dictionary<string, string?> Valid() => new()
    {
        [SettingNames.SignalRConnectionString] = "Endpoint=http://127.0.0.1;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;",
        [SettingNames.RedisConnectionString] = "127.0.0.1:6379",
        [SettingNames.ServerKeys] = "server-key-0123456789",
        [SettingNames.SessionSigningKeys] = "session-signing-key-0123456789abcdef",
    };

    public static IConfiguration Configuration(Dictionary<string, string?> overrides)
    {
        var values = Valid();
        foreach (var (key, value) in overrides) values[key] = value;
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    public static PushSettings With(string[]? sessionKeys = null) => PushSettings.Load(Configuration(new()
    {
        [SettingNames.SessionSigningKeys] = sessionKeys is null ? Valid()[SettingNames.SessionSigningKeys] : string.Join(",", sessionKeys),
    }));
}
