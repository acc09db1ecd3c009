using Microsoft.Extensions.Options;

namespace PushFunctions.Configuration;

/// <summary>
/// The presence settings and the hub, as Presence's classes read them: <see cref="PresenceOptions"/> and
/// <see cref="SignalROptions"/> in the units those classes use.
/// </summary>
public sealed class PushSettings(IOptions<PresenceOptions> presence, IOptions<SignalROptions> signalR)
{
    public TimeSpan PresenceLease => presence.Value.Lease;

    public TimeSpan OnlinePushInterval => presence.Value.OnlinePushInterval;

    public int OnlinePushBudgetPerSecond => presence.Value.OnlinePushBudgetPerSecond;

    public string HubName => signalR.Value.HubName;
}
