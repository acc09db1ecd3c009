namespace SignalREmulator.Auth;

/// <summary>
/// The service's own name: the <c>Endpoint</c> of its connection strings. The SDK signs every token's <c>aud</c> from
/// it (scheme and host, no port: <c>ServiceEndpoint.AudienceBaseUrl</c>), also when its requests go to a
/// <c>ServerEndpoint</c> and its clients to a <c>ClientEndpoint</c> (spec §2.1, §2.2, §3.2), so an audience is checked
/// against this name, never against the address a request happened to arrive at.
/// </summary>
public sealed class ServiceEndpoint(EmulatorOptions options)
{
    private readonly Uri? configured = options.Endpoint is { } endpoint ? new Uri(endpoint.TrimEnd('/')) : null;

    /// <summary>Bound to every interface, the emulator is still named by loopback.</summary>
    private readonly string listeningHost = options.Host is "0.0.0.0" or "::" or "[::]" ? "127.0.0.1" : options.Host;

    public string Scheme => configured?.Scheme ?? Uri.UriSchemeHttp;

    public string Host => configured?.Host ?? listeningHost.Trim('[', ']');

    /// <summary>The configured endpoint's port, or the one the request came in on when the emulator is named by its own address.</summary>
    public int PortFor(HttpRequest request) => configured?.Port ?? request.HttpContext.Connection.LocalPort;

    /// <summary>Whether this name is the emulator's own loopback address (then any loopback name will do).</summary>
    public bool IsListeningAddress => configured is null;

    /// <summary><c>scheme://host</c>: what the SDK puts in front of an audience's path.</summary>
    public string AudienceBase => $"{Scheme}://{(Host.Contains(':') ? $"[{Host}]" : Host)}";
}
