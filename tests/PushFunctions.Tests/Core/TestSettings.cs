using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
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

    /// <summary>Validates the settings as the app does when it starts: throws <see cref="InvalidSettingsException"/> naming what is wrong.</summary>
    public static void Validate(IConfiguration configuration)
    {
        using var services = new ServiceCollection().AddPushSettings(configuration).BuildServiceProvider();
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (Exception e) when (InvalidSettingsException.From(e) is { } invalid)
        {
            throw invalid;
        }
    }

    /// <summary>One settings class as the app binds it, after the whole validation passed.</summary>
    public static T Read<T>(Dictionary<string, string?> overrides) where T : new()
    {
        var configuration = Configuration(overrides);
        Validate(configuration);
        return Settings.Read<T>(configuration);
    }

    public static IOptions<KeyOptions> Keys(string[] sessionKeys) =>
        Options.Create(Read<KeyOptions>(new() { [SettingNames.SessionSigningKeys] = string.Join(",", sessionKeys) }));
}
