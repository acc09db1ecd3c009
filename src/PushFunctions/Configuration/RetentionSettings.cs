namespace PushFunctions.Configuration;

/// <summary>How much of a stream is kept: the newest <see cref="MaxLength"/> messages no older than <see cref="MaxAge"/>.</summary>
public sealed record RetentionPolicy(int MaxLength, TimeSpan MaxAge);

public sealed record RetentionSettings(RetentionPolicy User, RetentionPolicy Broadcast, RetentionPolicy Room)
{
    public static RetentionSettings Default { get; } = new(
        User: new RetentionPolicy(1000, TimeSpan.FromDays(7)),
        Broadcast: new RetentionPolicy(1000, TimeSpan.FromDays(1)),
        Room: new RetentionPolicy(1000, TimeSpan.FromDays(7)));
}
