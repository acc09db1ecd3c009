
namespace PushFunctions.Configuration;

/// <summary>The validated settings. Built once at start-up; a missing or invalid setting stops the app with its name.</summary>
public sealed class PushSettings
{
    public required string SignalRConnectionString { get; init; }
    public required string RedisConnectionString { get; init; }
    public required IReadOnlyList<string> ServerKeys { get; init; }
    public required IReadOnlyList<string> SessionSigningKeys { get; init; }
    public required string HubName { get; init; }
    public required IReadOnlyList<string> UpstreamKeys { get; init; }
    public required IReadOnlyList<string> CorsAllowedOrigins { get; init; }
    public required RetentionSettings Retention { get; init; }
    public required TimeSpan PresenceLease { get; init; }
    public required TimeSpan OnlinePushInterval { get; init; }

    /// <summary>
    /// <c>update_online_count</c> messages SignalR Service may deliver per second, all instances together: a push
    /// reaches every connection, so the push interval grows to audience ÷ budget (never below <see cref="OnlinePushInterval"/>).
    /// </summary>
    public required int OnlinePushBudgetPerSecond { get; init; }

    /// <summary>Client id of the managed identity that authenticates to Redis with Microsoft Entra; null for a password (or none).</summary>
    public string? RedisEntraClientId { get; init; }

    /// <summary>The <c>aud</c> of upstream <c>Authorization: Bearer</c> Entra tokens; null to check <c>X-ASRS-Signature</c> instead.</summary>
    public string? UpstreamAudience { get; init; }

    /// <summary>Tenant of the upstream Entra tokens (required with <see cref="UpstreamAudience"/>).</summary>
    public string? UpstreamTenantId { get; init; }

    /// <summary>Client id of SignalR Service's managed identity: the tokens' <c>appid</c>/<c>azp</c> (required with <see cref="UpstreamAudience"/>).</summary>
    public string? UpstreamClientId { get; init; }

    /// <summary>
    /// Microsoft Entra ID's host, where the upstream tokens' signing keys are (<c>{host}/{tenant}/discovery/v2.0/keys</c>).
    /// Not the Azure SDK's <c>AZURE_AUTHORITY_HOST</c>: DefaultAzureCredential refuses an http one, and the emulator's is http.
    /// </summary>
    public Uri UpstreamAuthority { get; init; } = DefaultUpstreamAuthority;

    public static readonly Uri DefaultUpstreamAuthority = new("https://login.microsoftonline.com/");
    public required int SessionRequestsPerSecond { get; init; }
    public required int ServerRequestsPerSecond { get; init; }

    /// <summary>Requests per second per user across all their sessions.</summary>
    public required int UserRequestsPerSecond { get; init; }
    public required UserLimits Limits { get; init; }
    /// <summary>1,000 messages/s (86.4 million a day): a push every 250 ms up to 250 connections, every 100 s at 100,000.</summary>
    public const int DefaultOnlinePushBudgetPerSecond = 1000;

    public static PushSettings Load(IConfiguration configuration)
    {
        var errors = new List<string>();
        string Required(string name)
        {
            var value = Read(configuration, name);
            if (string.IsNullOrWhiteSpace(value)) errors.Add($"Missing setting '{name}'.");
            return value ?? "";
        }

        var signalR = Required(SettingNames.SignalRConnectionString);
        var redis = Required(SettingNames.RedisConnectionString);
        var serverKeys = List(Required(SettingNames.ServerKeys));
        var signingKeys = List(Required(SettingNames.SessionSigningKeys));
        if (signingKeys.Any(k => k.Length < 32))
            errors.Add($"Setting '{SettingNames.SessionSigningKeys}' needs keys of at least 32 characters each.");
        if (serverKeys.Any(k => k.Length < 16))
            errors.Add($"Setting '{SettingNames.ServerKeys}' needs keys of at least 16 characters each.");

        var hub = Read(configuration, SettingNames.HubName) ?? "push";
        if (!System.Text.RegularExpressions.Regex.IsMatch(hub, "^[A-Za-z][A-Za-z0-9_]{0,127}$"))
            errors.Add($"Setting '{SettingNames.HubName}' must start with a letter and hold only letters, digits and '_'.");

        var defaults = RetentionSettings.Default;
        RetentionPolicy Policy(string lengthName, string ageName, RetentionPolicy fallback) => new(
            Positive(configuration, lengthName, fallback.MaxLength, errors),
            TimeSpan.FromHours(Positive(configuration, ageName, (int)fallback.MaxAge.TotalHours, errors)));
        var retention = new RetentionSettings(
            Policy(SettingNames.UserStreamMaxLength, SettingNames.UserStreamMaxAgeHours, defaults.User),
            Policy(SettingNames.BroadcastStreamMaxLength, SettingNames.BroadcastStreamMaxAgeHours, defaults.Broadcast),
            Policy(SettingNames.RoomStreamMaxLength, SettingNames.RoomStreamMaxAgeHours, defaults.Room));

        var lease = TimeSpan.FromSeconds(Positive(configuration, SettingNames.PresenceLeaseSeconds, 60, errors));
        var pushInterval = TimeSpan.FromMilliseconds(Positive(configuration, SettingNames.OnlinePushIntervalMs, 250, errors));
        var pushBudget = Positive(configuration, SettingNames.OnlinePushBudgetPerSecond, DefaultOnlinePushBudgetPerSecond, errors);
        var sessionRate = Positive(configuration, SettingNames.SessionRequestsPerSecond, 20, errors);
        var serverRate = Positive(configuration, SettingNames.ServerRequestsPerSecond, 5000, errors);
        var userRate = Positive(configuration, SettingNames.UserRequestsPerSecond, 2 * sessionRate, errors);
        var limits = new UserLimits(
            Positive(configuration, SettingNames.SessionsPerUser, UserLimits.Default.SessionsPerUser, errors),
            TimeSpan.FromSeconds(Positive(configuration, SettingNames.SessionMaxTtlSeconds, (int)UserLimits.Default.SessionMaxLifetime.TotalSeconds, errors)),
            Positive(configuration, SettingNames.RoomsPerUser, UserLimits.Default.RoomsPerUser, errors),
            Positive(configuration, SettingNames.MembersPerRoom, UserLimits.Default.MembersPerRoom, errors),
            Positive(configuration, SettingNames.SyncAnswerBytes, UserLimits.Default.SyncAnswerBytes, errors));
        if (limits.RoomsPerUser > UserLimits.MaxRoomsPerUser)
            errors.Add($"Setting '{SettingNames.RoomsPerUser}' may be at most {UserLimits.MaxRoomsPerUser}: SignalR Service keeps at most that many group memberships per user, so live room messages would stop for the rest.");
        if (limits.SessionMaxLifetime < UserLimits.SessionMinLifetime)
            errors.Add($"Setting '{SettingNames.SessionMaxTtlSeconds}' must be at least {UserLimits.SessionMinLifetime.TotalSeconds} seconds.");

        var redisEntraClientId = Optional(configuration, SettingNames.RedisEntraClientId);
        var upstreamAudience = Optional(configuration, SettingNames.UpstreamAudience);
        var upstreamTenant = Optional(configuration, SettingNames.UpstreamTenantId);
        var upstreamClientId = Optional(configuration, SettingNames.UpstreamClientId);
        if (upstreamAudience is not null)
        {
            if (upstreamTenant is null)
                errors.Add($"Setting '{SettingNames.UpstreamTenantId}' is required when '{SettingNames.UpstreamAudience}' is set.");
            else if (!System.Text.RegularExpressions.Regex.IsMatch(upstreamTenant, "^[A-Za-z0-9.-]{1,100}$"))
                errors.Add($"Setting '{SettingNames.UpstreamTenantId}' must be a tenant id (a GUID) or domain.");
            if (upstreamClientId is null)
                errors.Add($"Setting '{SettingNames.UpstreamClientId}' is required when '{SettingNames.UpstreamAudience}' is set.");
        }

        var upstreamAuthority = DefaultUpstreamAuthority;
        if (Optional(configuration, SettingNames.UpstreamAuthority) is { } authorityText
            && (!Uri.TryCreate(authorityText, UriKind.Absolute, out upstreamAuthority!) || upstreamAuthority.Scheme is not ("https" or "http")))
            errors.Add($"Setting '{SettingNames.UpstreamAuthority}' must be an http(s) URL.");

        if (errors.Count > 0) throw new InvalidSettingsException(errors);

        return new PushSettings
        {
            SignalRConnectionString = signalR,
            RedisConnectionString = redis,
            ServerKeys = serverKeys,
            SessionSigningKeys = signingKeys,
            HubName = hub.ToLowerInvariant(),
            UpstreamKeys = List(Read(configuration, SettingNames.UpstreamKeys)),
            CorsAllowedOrigins = List(Read(configuration, SettingNames.CorsAllowedOrigins)),
            Retention = retention,
            PresenceLease = lease,
            OnlinePushInterval = pushInterval,
            OnlinePushBudgetPerSecond = pushBudget,
            SessionRequestsPerSecond = sessionRate,
            ServerRequestsPerSecond = serverRate,
            UserRequestsPerSecond = userRate,
            Limits = limits,
            RedisEntraClientId = redisEntraClientId,
            UpstreamAudience = upstreamAudience,
            UpstreamTenantId = upstreamTenant,
            UpstreamClientId = upstreamClientId,
            UpstreamAuthority = upstreamAuthority,
        };
    }

    private static string? Read(IConfiguration configuration, string name) => configuration[name.Replace("__", ":")];

    private static string? Optional(IConfiguration configuration, string name) =>
        Read(configuration, name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static IReadOnlyList<string> List(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int Positive(IConfiguration configuration, string name, int fallback, List<string> errors)
    {
        var value = Read(configuration, name);
        if (value is null) return fallback;
        if (int.TryParse(value, out var parsed) && parsed > 0) return parsed;
        errors.Add($"Setting '{name}' must be a positive whole number, not '{value}'.");
        return fallback;
    }
}

/// <summary>What one user may hold. Each is a setting (SettingNames "Limits__*"); docs/API.md says what exceeding it returns.</summary>
public sealed record UserLimits(int SessionsPerUser, TimeSpan SessionMaxLifetime, int RoomsPerUser, int MembersPerRoom, int SyncAnswerBytes)
{
    /// <summary>SignalR Service keeps at most 100 user-group memberships per user without a ttl; one group per room.</summary>
    public const int MaxRoomsPerUser = 100;
    public static readonly TimeSpan SessionMinLifetime = TimeSpan.FromMinutes(1);
    public static UserLimits Default { get; } = new(20, TimeSpan.FromDays(30), MaxRoomsPerUser, 10_000, 1024 * 1024);
}

public sealed class InvalidSettingsException(IReadOnlyList<string> problems)
    : Exception("PushFunctions cannot start: " + string.Join(" ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
