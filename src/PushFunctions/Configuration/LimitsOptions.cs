using System.ComponentModel.DataAnnotations;

namespace PushFunctions.Configuration;

/// <summary>What one user may hold (docs/API.md says what going past each returns).</summary>
[SettingsSection(Section)]
public sealed class LimitsOptions
{
    public const string Section = "Limits";

    /// <summary>SignalR Service keeps at most 100 user-group memberships per user without a ttl; one group per room.</summary>
    public const int MaxRoomsPerUser = 100;

    public static readonly TimeSpan SessionMinLifetime = TimeSpan.FromMinutes(1);

    public TimeSpan SessionMaxLifetime => TimeSpan.FromSeconds(SessionMaxTtlSeconds);

    /// <summary>Live sessions per user; a login past it revokes the user's oldest session.</summary>
    [Positive] public int SessionsPerUser { get; set; } = 20;

    /// <summary>The longest <c>ttlSeconds</c> a login may ask for, in seconds (30 days).</summary>
    [Range(60, int.MaxValue, ErrorMessage = "Setting '{0}' must be at least {1} seconds.")]
    public int SessionMaxTtlSeconds { get; set; } = 2_592_000;

    /// <summary>Rooms per user, at most 100: SignalR Service keeps at most that many group memberships per user.</summary>
    [Range(1, MaxRoomsPerUser, ErrorMessage =
        "Setting '{0}' must be a whole number from {1} to {2}: SignalR Service keeps at most {2} group memberships per user, so live room messages would stop for the rest.")]
    public int RoomsPerUser { get; set; } = MaxRoomsPerUser;

    /// <summary>Members per room.</summary>
    [Positive] public int MembersPerRoom { get; set; } = 10_000;

    /// <summary>Payload bytes one sync answer holds across its streams (each stream's page holds at least one message).</summary>
    [Positive] public int SyncAnswerBytes { get; set; } = 1_048_576;
}
