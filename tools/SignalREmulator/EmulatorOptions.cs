using SignalREmulator.Upstream;

namespace SignalREmulator;

/// <summary>How to run the emulator, in-process (<see cref="EmulatorHost.StartAsync"/>) or from the command line.</summary>
public sealed class EmulatorOptions
{
    /// <summary>The official emulator's well-known key, used when none is given.</summary>
    public const string WellKnownAccessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

    /// <summary>IP address to bind to (<c>localhost</c> means 127.0.0.1). Loopback unless you mean otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    /// <summary>
    /// The service's name, the <c>Endpoint</c> its connection strings give (e.g. <c>http://signalr.test</c>): every token's
    /// <c>aud</c> must name it, whatever address a request came to, as when callers reach the service through a
    /// <c>ServerEndpoint</c> or <c>ClientEndpoint</c>. Null: the address it listens on (any loopback name accepted).
    /// </summary>
    public string? Endpoint { get; init; }

    /// <summary>
    /// A file to keep user-group memberships in across restarts, as the service keeps them (<see cref="Groups.MembershipFile"/>).
    /// Null: in memory only, gone when the emulator stops.
    /// </summary>
    public string? StateFile { get; init; }

    public string AccessKey { get; init; } = WellKnownAccessKey;

    /// <summary>Further keys (the service's secondary key): they verify tokens and add an <c>X-ASRS-Signature</c> value each.</summary>
    public IReadOnlyList<string> SecondaryAccessKeys { get; init; } = [];

    /// <summary>One catch-all upstream URL template, e.g. <c>http://127.0.0.1:7071/api/signalr/{hub}/{category}/{event}</c>.</summary>
    public string? UpstreamTemplate { get; init; }

    /// <summary>Ordered upstream rules with patterns; used after <see cref="UpstreamTemplate"/> if both are set.</summary>
    public IReadOnlyList<UpstreamRule> UpstreamRules { get; init; } = [];

    /// <summary>
    /// Refuse tokens signed with the access keys, as the service does with <c>disableLocalAuth</c> (what infra/main.bicep
    /// deploys): REST calls then need a Microsoft Entra token, client tokens a temporary access key.
    /// </summary>
    public bool DisableLocalAuth { get; init; }

    /// <summary>Tenant of the local test issuer (Microsoft Entra stand-in).</summary>
    public string TenantId { get; init; } = DefaultTenantId;

    public const string DefaultTenantId = "7e57e57e-0000-4000-8000-00000000e2e0";

    /// <summary>
    /// The secret of the managed-identity endpoint (<c>/_emulator/identity</c>, App Service protocol): what the app's
    /// <c>IDENTITY_HEADER</c> must hold. Null leaves the endpoint off.
    /// </summary>
    public string? IdentityHeader { get; init; }

    /// <summary>
    /// Upstream auth <c>ManagedIdentity</c> with this resource: every upstream request carries
    /// <c>Authorization: Bearer</c> with a test-issuer token whose <c>aud</c> is this (spec §4.2). Null sends none.
    /// </summary>
    public string? UpstreamAuthResource { get; init; }

    /// <summary>The emulator's clock (token lifetimes, temporary keys, membership TTLs); tests move it forward.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Log at Information instead of Warning.</summary>
    public bool Verbose { get; init; }

    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Replaces the default console logging (for example to route logs to a test's output).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}
