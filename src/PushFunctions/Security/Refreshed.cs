namespace PushFunctions.Security;

/// <summary>A fetched value, when to fetch the next one, and until when this one may still be used.</summary>
public readonly record struct Refreshed<T>(T Value, DateTimeOffset RefreshAt, DateTimeOffset UsableUntil);
