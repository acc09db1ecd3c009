using System.ComponentModel.DataAnnotations;

namespace PushFunctions.Configuration;

/// <summary>Redis, where all state lives.</summary>
[SettingsSection]
public sealed class RedisOptions
{
    /// <summary>A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c>.</summary>
    [Required(ErrorMessage = Setting.Missing)]
    public string RedisConnectionString { get; set; } = "";

    /// <summary>
    /// The client id of the managed identity that authenticates to Azure Managed Redis with Microsoft Entra (Azure
    /// only: no password in the connection string then); unset, the connection string's password, or none.
    /// </summary>
    public string? RedisEntraClientId { get; set; }
}
