namespace PushFunctions.Configuration;

/// <summary>Every setting the app reads, named once. Azure app settings use the same names.</summary>
public static class SettingNames
{
    public const string SignalRConnectionString = "AzureSignalRConnectionString";
    public const string RedisConnectionString = "RedisConnectionString";
    public const string ServerKeys = "PushServerKeys";
    public const string SessionSigningKeys = "SessionSigningKeys";
    public const string HubName = "SignalRHubName";
    public const string UpstreamKeys = "SignalRUpstreamKeys";
    public const string CorsAllowedOrigins = "CorsAllowedOrigins";

    // Keyless auth in Azure (docs/DEPLOY.md "Settings the app must implement"); empty locally.
    public const string RedisEntraClientId = "RedisEntraClientId";
    public const string UpstreamAudience = "SignalRUpstreamAudience";
    public const string UpstreamTenantId = "SignalRUpstreamTenantId";
    public const string UpstreamClientId = "SignalRUpstreamClientId";

    // Retention and presence tuning; defaults live in PushSettings.
    public const string UserStreamMaxLength = "Retention__UserMaxLength";
    public const string UserStreamMaxAgeHours = "Retention__UserMaxAgeHours";
    public const string BroadcastStreamMaxLength = "Retention__BroadcastMaxLength";
    public const string BroadcastStreamMaxAgeHours = "Retention__BroadcastMaxAgeHours";
    public const string RoomStreamMaxLength = "Retention__RoomMaxLength";
    public const string RoomStreamMaxAgeHours = "Retention__RoomMaxAgeHours";
    public const string PresenceLeaseSeconds = "Presence__LeaseSeconds";
    public const string OnlinePushIntervalMs = "Presence__OnlinePushIntervalMs";
    public const string OnlinePushBudgetPerSecond = "Presence__OnlinePushBudgetPerSecond";
    public const string SessionRequestsPerSecond = "RateLimit__SessionPerSecond";
    public const string ServerRequestsPerSecond = "RateLimit__ServerPerSecond";
}
