namespace PushFunctions.Configuration;

/// <summary>Presence: connection leases, and how often <c>update_online_count</c> is pushed.</summary>
[SettingsSection(Section)]
public sealed class PresenceOptions
{
    public const string Section = "Presence";

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    public TimeSpan OnlinePushInterval => TimeSpan.FromMilliseconds(OnlinePushIntervalMs);

    /// <summary>
    /// The lease of a connection in presence, in seconds: a lost <c>disconnected</c> event is noticed within the lease
    /// plus the lease check's interval.
    /// </summary>
    [Positive] public int LeaseSeconds { get; set; } = 60;

    /// <summary>
    /// <c>update_online_count</c> pushes are coalesced to at most one per interval, across all app instances: the
    /// shortest interval, in milliseconds.
    /// </summary>
    [Positive] public int OnlinePushIntervalMs { get; set; } = 250;

    /// <summary>
    /// <c>update_online_count</c> messages SignalR Service may deliver per second, all instances together: a push
    /// reaches every connection (and each is billed), so the interval grows to connections ÷ budget. 1,000 a second
    /// (86.4 million a day) is a push every 250 ms up to 250 connections, every 1 s at 1,000, every 100 s at 100,000.
    /// </summary>
    [Positive] public int OnlinePushBudgetPerSecond { get; set; } = 1000;
}
