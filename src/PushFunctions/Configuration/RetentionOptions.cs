namespace PushFunctions.Configuration;

/// <summary>How much of each kind of stream is kept: a message goes when it is past the length or the age.</summary>
[SettingsSection(Section)]
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    public RetentionPolicy User => new(UserMaxLength, TimeSpan.FromHours(UserMaxAgeHours));

    public RetentionPolicy Broadcast => new(BroadcastMaxLength, TimeSpan.FromHours(BroadcastMaxAgeHours));

    public RetentionPolicy Room => new(RoomMaxLength, TimeSpan.FromHours(RoomMaxAgeHours));

    /// <summary>Messages kept per user stream.</summary>
    [Positive] public int UserMaxLength { get; set; } = 1000;

    /// <summary>The age limit of user-stream messages, in hours (a week).</summary>
    [Positive] public int UserMaxAgeHours { get; set; } = 168;

    /// <summary>Messages kept in the broadcast stream.</summary>
    [Positive] public int BroadcastMaxLength { get; set; } = 1000;

    /// <summary>The age limit of broadcast messages, in hours (a day).</summary>
    [Positive] public int BroadcastMaxAgeHours { get; set; } = 24;

    /// <summary>Messages kept per room stream.</summary>
    [Positive] public int RoomMaxLength { get; set; } = 1000;

    /// <summary>The age limit of room messages, in hours (a week).</summary>
    [Positive] public int RoomMaxAgeHours { get; set; } = 168;
}
