namespace PushFunctions.Configuration;

/// <summary>Requests per second per caller (token buckets holding two seconds' worth); more gets 429 + Retry-After.</summary>
[SettingsSection(Section)]
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    public int UserRate => UserPerSecond ?? 2 * SessionPerSecond;

    /// <summary>Requests per second per session.</summary>
    [Positive] public int SessionPerSecond { get; set; } = 20;

    /// <summary>Requests per second for the server key.</summary>
    [Positive] public int ServerPerSecond { get; set; } = 5000;

    /// <summary>Requests per second per user across all their sessions; unset, twice the session rate.</summary>
    [Positive] public int? UserPerSecond { get; set; }
}
