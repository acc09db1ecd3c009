using System.Net.Http.Headers;
using System.Text.Json;

namespace SignalRTestClient;

/// <summary>The result of negotiation: where to connect and with which token.</summary>
public sealed record NegotiateResult(string Url, string? AccessToken, string ConnectionId, string ConnectionToken);

/// <summary>
/// Negotiates as @microsoft/signalr does (HttpConnection.ts): POST <c>{url}/negotiate?…&amp;negotiateVersion=1</c>
/// with the Bearer token; while the answer carries <c>url</c> (and <c>accessToken</c>), follow it, at most 100 times.
/// </summary>
public static class Negotiator
{
    private const int MaxRedirects = 100;

    public static async Task<NegotiateResult> NegotiateAsync(HttpClient http, string url, string? accessToken, CancellationToken cancellationToken)
    {
        for (var redirects = 0; redirects <= MaxRedirects; redirects++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, ResolveNegotiateUrl(url)) { Content = new ByteArrayContent([]) };
            if (!string.IsNullOrEmpty(accessToken)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new SignalRConnectException(
                    $"Negotiate at {request.RequestUri} failed with {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}", response.StatusCode);
            }

            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
            {
                throw new SignalRConnectException("Negotiate failed: " + error.GetString());
            }
            if (root.TryGetProperty("url", out var redirect) && redirect.ValueKind == JsonValueKind.String)
            {
                url = redirect.GetString()!;
                if (root.TryGetProperty("accessToken", out var token) && token.ValueKind == JsonValueKind.String) accessToken = token.GetString();
                continue;
            }

            var connectionId = root.GetProperty("connectionId").GetString()!;
            var version = root.TryGetProperty("negotiateVersion", out var v) ? v.GetInt32() : 0;
            var connectionToken = version >= 1 ? root.GetProperty("connectionToken").GetString()! : connectionId;
            if (!SupportsWebSockets(root)) throw new SignalRConnectException("The server does not offer WebSockets.");
            return new NegotiateResult(url, accessToken, connectionId, connectionToken);
        }
        throw new SignalRConnectException("Negotiate redirection limit exceeded.");
    }

    /// <summary>
    /// <c>http://x/client/?hub=chat</c> → <c>http://x/client/negotiate?hub=chat&amp;negotiateVersion=1</c>.
    /// A URL whose path already ends in <c>/negotiate</c> (an app's negotiate route) is used as it is.
    /// </summary>
    public static string ResolveNegotiateUrl(string url)
    {
        var queryStart = url.IndexOf('?');
        var path = queryStart < 0 ? url : url[..queryStart];
        var query = queryStart < 0 ? "" : url[queryStart..];
        if (!path.TrimEnd('/').EndsWith("/negotiate", StringComparison.OrdinalIgnoreCase))
        {
            path = (path.EndsWith('/') ? path : path + "/") + "negotiate";
        }
        else
        {
            path = path.TrimEnd('/');
        }
        if (!query.Contains("negotiateVersion", StringComparison.Ordinal))
        {
            query += (query.Length == 0 ? "?" : "&") + "negotiateVersion=1";
        }
        return path + query;
    }

    /// <summary>The WebSocket URL: <c>{url}&amp;id={connectionToken}&amp;access_token=…</c> with http(s) → ws(s).</summary>
    public static Uri ConnectUrl(NegotiateResult negotiated)
    {
        var url = negotiated.Url;
        if (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) url = "wss://" + url["https://".Length..];
        else if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) url = "ws://" + url["http://".Length..];
        url += (url.Contains('?') ? "&" : "?") + "id=" + Uri.EscapeDataString(negotiated.ConnectionToken);
        if (!string.IsNullOrEmpty(negotiated.AccessToken)) url += "&access_token=" + Uri.EscapeDataString(negotiated.AccessToken);
        return new Uri(url);
    }

    private static bool SupportsWebSockets(JsonElement root)
    {
        if (!root.TryGetProperty("availableTransports", out var transports)) return true;
        foreach (var transport in transports.EnumerateArray())
        {
            if (transport.TryGetProperty("transport", out var name) && name.GetString() == "WebSockets") return true;
        }
        return false;
    }
}
