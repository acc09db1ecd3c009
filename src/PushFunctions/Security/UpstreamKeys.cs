namespace PushFunctions.Security;

/// <summary>The keys an upstream signature may be made with: SignalR Service's access key, then any extra upstream keys.</summary>
public sealed record UpstreamKeys(IReadOnlyList<string> Keys);
