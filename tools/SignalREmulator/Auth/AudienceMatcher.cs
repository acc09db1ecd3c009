namespace SignalREmulator.Auth;

/// <summary>
/// Decides whether a token's <c>aud</c> names the URL being called. The documented form is the request URL
/// without query; the official SDK signs it with the query and without the port (spec §2.2, §3.2, §9),
/// so both are accepted: scheme and host case-insensitive, port optional, trailing slash and query ignored
/// (except that a client audience naming a hub must name this hub).
/// </summary>
public static class AudienceMatcher
{
    public static bool Matches(IEnumerable<string> audiences, HttpRequest request, string path, string? hub)
    {
        foreach (var audience in audiences)
        {
            if (Matches(audience, request, path, hub)) return true;
        }
        return false;
    }

    public static bool Matches(string audience, HttpRequest request, string path, string? hub)
    {
        if (!Uri.TryCreate(audience, UriKind.Absolute, out var aud)) return false;
        if (!string.Equals(aud.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)) return false;

        var requestHost = request.Host.Host;
        if (!SameHost(aud.Host, requestHost)) return false;

        // An audience with no explicit port is what the SDK signs (it drops Port from the connection string).
        if (!aud.IsDefaultPort)
        {
            var requestPort = request.Host.Port ?? request.HttpContext.Connection.LocalPort;
            if (aud.Port != requestPort) return false;
        }

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
