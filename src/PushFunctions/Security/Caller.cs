namespace PushFunctions.Security;

/// <summary>Who called: the main backend (<see cref="User"/> null), a browser session, or SignalR Service.</summary>
public sealed record Caller(Credential Credential, PushUser? User = null)
{
    public static Caller Server { get; } = new(Credential.Server);
    public static Caller Upstream { get; } = new(Credential.Upstream);

    public bool IsServer => Credential == Credential.Server;
}
