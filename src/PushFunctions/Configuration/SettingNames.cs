namespace PushFunctions.Configuration;

/// <summary>
/// The settings' names, for messages and tests: each comes from its property in a settings class (a class with
/// <see cref="SettingsSectionAttribute"/>), so a name is written once.
/// </summary>
public static class SettingNames
{
    public const string SignalRConnectionString = nameof(SignalROptions.AzureSignalRConnectionString);
    public const string HubName = nameof(SignalROptions.SignalRHubName);
    public const string UpstreamKeys = nameof(SignalROptions.SignalRUpstreamKeys);
    public const string UpstreamAudience = nameof(SignalROptions.SignalRUpstreamAudience);
    public const string UpstreamTenantId = nameof(SignalROptions.SignalRUpstreamTenantId);
    public const string UpstreamClientId = nameof(SignalROptions.SignalRUpstreamClientId);
    public const string UpstreamAuthority = nameof(SignalROptions.SignalRUpstreamAuthority);
    public const string RedisConnectionString = nameof(RedisOptions.RedisConnectionString);
    public const string RedisEntraClientId = nameof(RedisOptions.RedisEntraClientId);
    public const string ServerKeys = nameof(KeyOptions.PushServerKeys);
    public const string SessionSigningKeys = nameof(KeyOptions.SessionSigningKeys);

    public const string UserStreamMaxLength = RetentionOptions.Section + "__" + nameof(RetentionOptions.UserMaxLength);
    public const string UserStreamMaxAgeHours = RetentionOptions.Section + "__" + nameof(RetentionOptions.UserMaxAgeHours);
    public const string BroadcastStreamMaxLength = RetentionOptions.Section + "__" + nameof(RetentionOptions.BroadcastMaxLength);
    public const string BroadcastStreamMaxAgeHours = RetentionOptions.Section + "__" + nameof(RetentionOptions.BroadcastMaxAgeHours);
    public const string RoomStreamMaxLength = RetentionOptions.Section + "__" + nameof(RetentionOptions.RoomMaxLength);
    public const string RoomStreamMaxAgeHours = RetentionOptions.Section + "__" + nameof(RetentionOptions.RoomMaxAgeHours);
    public const string PresenceLeaseSeconds = PresenceOptions.Section + "__" + nameof(PresenceOptions.LeaseSeconds);
    public const string OnlinePushIntervalMs = PresenceOptions.Section + "__" + nameof(PresenceOptions.OnlinePushIntervalMs);
    public const string OnlinePushBudgetPerSecond = PresenceOptions.Section + "__" + nameof(PresenceOptions.OnlinePushBudgetPerSecond);
    public const string SessionRequestsPerSecond = RateLimitOptions.Section + "__" + nameof(RateLimitOptions.SessionPerSecond);
    public const string ServerRequestsPerSecond = RateLimitOptions.Section + "__" + nameof(RateLimitOptions.ServerPerSecond);
    public const string UserRequestsPerSecond = RateLimitOptions.Section + "__" + nameof(RateLimitOptions.UserPerSecond);
    public const string SessionsPerUser = LimitsOptions.Section + "__" + nameof(LimitsOptions.SessionsPerUser);
    public const string SessionMaxTtlSeconds = LimitsOptions.Section + "__" + nameof(LimitsOptions.SessionMaxTtlSeconds);
    public const string RoomsPerUser = LimitsOptions.Section + "__" + nameof(LimitsOptions.RoomsPerUser);
    public const string MembersPerRoom = LimitsOptions.Section + "__" + nameof(LimitsOptions.MembersPerRoom);
    public const string SyncAnswerBytes = LimitsOptions.Section + "__" + nameof(LimitsOptions.SyncAnswerBytes);
    public const string ConsoleMetricsSeconds = ObservabilityOptions.Section + "__" + nameof(ObservabilityOptions.ConsoleMetricsSeconds);

    // The exporters' standard names (ExporterOptions binds them).
    public const string AppInsightsConnectionString = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AppInsightsAuthenticationString = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    public const string OtlpEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
}
