namespace PushFunctions.Configuration;

/// <summary>How much of a stream is kept: the newest <see cref="MaxLength"/> messages no older than <see cref="MaxAge"/>.</summary>
public sealed record RetentionPolicy(int MaxLength, TimeSpan MaxAge);
