namespace SignalREmulator.Auth;

/// <summary>
/// Decides whether a token's <c>aud</c> names the URL being called on this service. The documented form is the
/// request URL without query; the official SDK signs it with the query and without the port, and from the
/// connection string's <c>Endpoint</c> even when the call goes to a <c>ServerEndpoint</c> (spec §2.2, §3.2, §9). So the
/// scheme and host must be the service's <see cref="ServiceEndpoint"/> (case-insensitive), whatever address the
/// request came to; the port is optional; the path must be the request's; trailing slash and query are ignored
/// (except that a client audience naming a hub must name this hub).
/// </summary>
public static class AudienceMatcher
{
    public static bool Matches(IEnumerable<string> audiences, ServiceEndpoint service, HttpRequest request, string path, string? hub)
    {
        foreach (var audience in audiences)
        {
            if (Matches(audience, service, request, path, hub)) return true;
        }
        return false;
    }

    public static bool Matches(string audience, ServiceEndpoint service, HttpRequest request, string path, string? hub)
    {
        if (!Uri.TryCreate(audience, UriKind.Absolute, out var aud)) return false;
        if (!string.Equals(aud.Scheme, service.Scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var sameHost = service.IsListeningAddress ? SameHost(aud.Host, service.Host) : string.Equals(aud.Host, service.Host, StringComparison.OrdinalIgnoreCase);
        if (!sameHost) return false;

        // An audience with no explicit port is what the SDK signs (it drops Port from the connection string).
        if (!aud.IsDefaultPort && aud.Port != service.PortFor(request)) return false;

        if (!string.Equals(Normalize(aud.AbsolutePath), Normalize(path), StringComparison.OrdinalIgnoreCase)) return false;

        if (hub is not null)
        {
            var audHub = QueryValue(aud.Query, "hub");
            if (audHub is not null && !string.Equals(audHub, hub, StringComparison.OrdinalIgnoreCase)) return false;
        }
        return true;
    }

    // The emulator is only ever reached over loopback: a token minted for 127.0.0.1 is good for localhost too.
    private static bool SameHost(string a, string b) =>
        string.Equals(a.Trim('[', ']'), b.Trim('[', ']'), StringComparison.OrdinalIgnoreCase) || (IsLoopback(a) && IsLoopback(b));

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host == "127.0.0.1" || host.Trim('[', ']') == "::1";

    private static string Normalize(string path) => Uri.UnescapeDataString(path).TrimEnd('/');

    private static string? QueryValue(string query, string name)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            if (string.Equals(Uri.UnescapeDataString(key), name, StringComparison.OrdinalIgnoreCase))
            {
                return eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            }
        }
        return null;
    }
}
