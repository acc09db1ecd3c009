using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SignalREmulator.Admin;
using SignalREmulator.Auth;
using SignalREmulator.Client;

namespace SignalREmulator.Upstream;

/// <summary>
/// Delivers connection events and client invocations to the upstream (spec §4): POST with the
/// <c>X-ASRS-*</c> headers, each event tried once (the service retries nothing), invocation answers turned
/// into Completions so a client's <c>invoke()</c> never hangs. Failures are logged and counted, never thrown.
/// </summary>
public sealed class UpstreamDispatcher : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpClient _http;
    private readonly UpstreamSettings _settings;
    private readonly AccessKeys _keys;
    private readonly Faults _faults;
    private readonly Stats _stats;
    private readonly HubFrames _frames;
    private readonly ILogger<UpstreamDispatcher> _logger;
    private readonly CancellationToken _stopping;
    private readonly UpstreamBearer? _bearer;

    public UpstreamDispatcher(
        EmulatorOptions options, UpstreamSettings settings, AccessKeys keys, Faults faults, Stats stats, HubFrames frames,
        TestIssuer issuer, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<UpstreamDispatcher> logger)
    {
        _bearer = options.UpstreamAuthResource is { } resource ? new UpstreamBearer(issuer, resource, clock) : null;
        _settings = settings;
        _keys = keys;
        _faults = faults;
        _stats = stats;
        _frames = frames;
        _logger = logger;
        _stopping = lifetime.ApplicationStopping;
        _http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // Claim values (user names) may be non-ASCII; the default Latin-1 encoder would throw.
            RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8,
        })
        {
            Timeout = options.UpstreamTimeout,
            MaxResponseContentBufferSize = 16 * 1024 * 1024, // the emulator's "response too large" cap
        };
    }

    /// <summary>Starts the ordered event queue of one connection.</summary>
    public ConnectionUpstream Open(ClientConnection connection) =>
        new(this, connection, UpstreamSignature.Header(_keys.All, connection.Id), ClaimsHeader(connection.Identity.Claims), _stopping);

    internal async Task DeliverAsync(ConnectionUpstream upstream, UpstreamEvent work)
    {
        var connection = upstream.Connection;
        var isMessage = work.Category == "messages";
        if (_faults.DropsUpstream(work.Event, connection.UserId))
        {
            _stats.UpstreamDroppedOnce();
            Complete(connection, work, error: "Invocation failed, upstream event dropped by fault injection");
            return;
        }

        var url = _settings.UrlFor(connection.Hub, work.Category, work.Event);
        if (url is null)
        {
            // The official emulator writes nothing here and the client's invoke() hangs forever (spec §5.3.7).
            Complete(connection, work, error: "Invocation failed, no upstream is configured for this event");
            return;
        }

        // One attempt, whatever the event: SignalR Service does not retry upstream calls (spec §4.3), and neither
        // does the official emulator. A connected event that fails is simply lost to the upstream.
        try
        {
            using var request = BuildRequest(url, upstream, work);
            using var response = await _http.SendAsync(request, _stopping);
            var status = (int)response.StatusCode;
            if (isMessage ? status is not (200 or 204) : !response.IsSuccessStatusCode)
            {
                Fail(connection, work, $"status code {status}", $"Invocation failed, status code {status}");
                return;
            }
            _stats.UpstreamDelivered();
            if (work.InvocationId is not null)
            {
                var body = await response.Content.ReadAsByteArrayAsync(_stopping);
                // A 200 body is a complete, framed Completion in the client's protocol: passed on raw.
                connection.TrySend(status == 200 && body.Length > 0 ? body : _frames.VoidCompletion(work.InvocationId));
            }
        }
        catch (Exception e) when (!_stopping.IsCancellationRequested && e is HttpRequestException or TaskCanceledException or IOException)
        {
            Fail(connection, work, e.Message, "Invocation failed, the upstream could not be reached");
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
            // The emulator is stopping.
        }
    }

    private HttpRequestMessage BuildRequest(string url, ConnectionUpstream upstream, UpstreamEvent work)
    {
        var connection = upstream.Connection;
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(work.Body) };
        request.Content.Headers.ContentType = Json;
        var headers = request.Headers;
        headers.TryAddWithoutValidation("X-ASRS-Connection-Id", connection.Id);
        headers.TryAddWithoutValidation("X-ASRS-Hub", connection.Hub);
        headers.TryAddWithoutValidation("X-ASRS-Category", work.Category);
        headers.TryAddWithoutValidation("X-ASRS-Event", work.Event);
        if (!string.IsNullOrEmpty(connection.UserId)) headers.TryAddWithoutValidation("X-ASRS-User-Id", connection.UserId);
        if (upstream.ClaimsHeader.Length > 0) headers.TryAddWithoutValidation("X-ASRS-User-Claims", upstream.ClaimsHeader);
        headers.TryAddWithoutValidation("X-ASRS-Client-Query", connection.Identity.ClientQuery);
        headers.TryAddWithoutValidation("X-ASRS-Signature", upstream.SignatureHeader);
        if (_bearer is not null) headers.Authorization = new AuthenticationHeaderValue("Bearer", _bearer.Token);
        return request;
    }

    private void Fail(ClientConnection connection, UpstreamEvent work, string failure, string completionError)
    {
        _stats.UpstreamFailedOnce();
        _logger.LogWarning("Upstream {Category}/{Event} for connection {ConnectionId} failed: {Failure}", work.Category, work.Event, connection.Id, failure);
        Complete(connection, work, completionError);
    }

    private void Complete(ClientConnection connection, UpstreamEvent work, string error)
    {
        if (work.InvocationId is not null) connection.TrySend(_frames.ErrorCompletion(work.InvocationId, error));
    }

    /// <summary><c>type: value</c> pairs as written in the token (short names), comma-separated (spec §4.2).</summary>
    internal static string ClaimsHeader(IReadOnlyList<TokenClaim> claims) =>
        string.Join(", ", claims.Select(claim => claim.Type + ": " + claim.Value));

    internal static byte[] DisconnectedBody(string? error)
    {
        using var stream = new MemoryStream(32);
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteNumber("type"u8, 11);
            if (!string.IsNullOrEmpty(error)) writer.WriteString("error"u8, error);
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The service identity's token for the upstream resource (auth type ManagedIdentity), renewed well before it expires.</summary>
    private sealed class UpstreamBearer(TestIssuer issuer, string resource, TimeProvider clock)
    {
        private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(10);
        private volatile Cached? _current;

        public string Token
        {
            get
            {
                if (_current is { } current && clock.GetUtcNow() < current.RenewAt) return current.Token;
                var (token, expires) = issuer.CreateToken(resource, TestIssuer.ServiceClientId);
                _current = new Cached(token, expires - RenewBefore);
                return token;
            }
        }

        private sealed record Cached(string Token, DateTimeOffset RenewAt);
    }
}
