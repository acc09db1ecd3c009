namespace PushFunctions.Configuration;

/// <summary>Requests per second per caller (token buckets holding two seconds' worth); more gets 429 + Retry-After.</summary>
[SettingsSection(Section)]
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    /// <summary>A bucket holds this many seconds' worth of requests: the burst a caller may send at once.</summary>
    public const int BurstSeconds = 2;

    public int SessionBurst => BurstSeconds * SessionPerSecond;

    public int UserRate => UserPerSecond ?? 2 * SessionPerSecond;

    /// <summary>Requests per second per session.</summary>
    [Positive] public int SessionPerSecond { get; set; } = 20;

    /// <summary>Requests per second for the server key.</summary>
    [Positive] public int ServerPerSecond { get; set; } = 5000;

    /// <summary>Requests per second per user across all their sessions; unset, twice the session rate.</summary>
    [Positive] public int? UserPerSecond { get; set; }
}
