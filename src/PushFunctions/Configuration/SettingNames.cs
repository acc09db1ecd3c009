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
    /// <summary>Where the upstream token's issuer publishes its signing keys: another cloud's Entra, or the emulator's in tests.</summary>
    public const string UpstreamAuthority = "SignalRUpstreamAuthority";

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
    public const string UserRequestsPerSecond = "RateLimit__UserPerSecond";

    // What one user may hold; defaults and bounds live in UserLimits.
    public const string SessionsPerUser = "Limits__SessionsPerUser";
    public const string SessionMaxTtlSeconds = "Limits__SessionMaxTtlSeconds";
    public const string RoomsPerUser = "Limits__RoomsPerUser";
    public const string MembersPerRoom = "Limits__MembersPerRoom";
    public const string SyncAnswerBytes = "Limits__SyncAnswerBytes";

    // Telemetry (docs/OBSERVABILITY.md): the exporters' standard names, and the console view of scripts/dev.sh.
    public const string AppInsightsConnectionString = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AppInsightsAuthenticationString = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    public const string OtlpEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ConsoleMetricsSeconds = "Observability__ConsoleMetricsSeconds";
}
