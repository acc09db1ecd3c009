namespace PushFunctions.SignalR;

/// <summary>
/// An Azure SignalR connection string (spec §2.1): <c>Endpoint=https://x.service.signalr.net;AccessKey=...;Version=1.0;</c>,
/// or with <c>AuthType=azure.msi;ClientId=...</c> for managed identity.
/// </summary>
public sealed record SignalRConnectionString(
    Uri Endpoint,
    string? AccessKey,
    string? AuthType,
    string? ClientId,
    Uri? ClientEndpoint,
    Uri? ServerEndpoint)
{
    public bool UsesManagedIdentity => AuthType is not null;

    /// <summary>Where REST calls go.</summary>
    public Uri RestEndpoint => ServerEndpoint ?? Endpoint;

    /// <summary>Where browsers connect.</summary>
    public Uri ClientBaseEndpoint => ClientEndpoint ?? Endpoint;

    public static SignalRConnectionString Parse(string value)
    {
        var pairs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0) throw Invalid($"'{KeyOf(part)}' has no value");
            var key = part[..equals].Trim();
            if (!pairs.TryAdd(key, part[(equals + 1)..].Trim())) throw Invalid($"'{key}' appears twice");
        }

        if (!pairs.TryGetValue("Endpoint", out var endpointText)) throw Invalid("'Endpoint' is missing");
        var endpoint = ParseUri(endpointText, "Endpoint");
        if (pairs.TryGetValue("Port", out var portText))
        {
            if (!int.TryParse(portText, out var port) || port is < 1 or > 65535) throw Invalid("'Port' is not a port number");
            endpoint = new UriBuilder(endpoint) { Port = port }.Uri;
        }

        pairs.TryGetValue("AccessKey", out var accessKey);
        pairs.TryGetValue("AuthType", out var authType);
        pairs.TryGetValue("ClientId", out var clientId);
        if (authType is not null && !authType.Equals("azure.msi", StringComparison.OrdinalIgnoreCase)
            && !authType.Equals("azure", StringComparison.OrdinalIgnoreCase))
            throw Invalid($"AuthType '{authType}' is not supported (use an AccessKey, or AuthType=azure.msi)");
        if (authType is null && string.IsNullOrEmpty(accessKey)) throw Invalid("'AccessKey' is missing (or set AuthType=azure.msi)");

        return new SignalRConnectionString(
            endpoint,
            string.IsNullOrEmpty(accessKey) ? null : accessKey,
            authType?.ToLowerInvariant(),
            clientId,
            pairs.TryGetValue("ClientEndpoint", out var client) ? ParseUri(client, "ClientEndpoint") : null,
            pairs.TryGetValue("ServerEndpoint", out var server) ? ParseUri(server, "ServerEndpoint") : null);
    }

    private static Uri ParseUri(string text, string name)
    {
        if (!Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw Invalid($"'{name}' must be an http or https URL");
        return uri;
    }

    private static string KeyOf(string part) => part.Length > 20 ? part[..20] + "…" : part;

    // The message never includes the string itself: it holds the access key.
    private static FormatException Invalid(string problem) =>
        new($"The SignalR connection string is invalid: {problem}.");

    public override string ToString() => $"SignalR endpoint {Endpoint}";
}
