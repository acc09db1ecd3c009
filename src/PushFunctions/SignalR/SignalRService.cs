using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using PushFunctions.Configuration;

namespace PushFunctions.SignalR;

/// <summary>
/// The SignalR Service data-plane REST client (api-version 2022-06-01, spec §1.2). Transient failures are retried a
/// little (a repeated send is harmless: clients drop duplicates by seq), and a circuit breaker keeps a down
/// service from slowing every request. Token audiences are built from the connection string's <c>Endpoint</c>
/// without its port, as the official SDK builds them (<c>ServiceEndpoint.AudienceBaseUrl</c>, spec §2.2, §3.2), also
/// when requests go to a <c>ServerEndpoint</c> and clients to a <c>ClientEndpoint</c>; requests go there with the port.
/// </summary>
public sealed class SignalRService : ISignalRService, IDisposable
{
    private const string ApiVersion = "2022-06-01";
    private const string ClientPath = "/client/?hub=";

    /// <summary>The one 404 that means "that connection is gone" (spec §1.1); any other 404 is a failure.</summary>
    internal const string ConnectionNotExisted = "Warning.Connection.NotExisted";

    private readonly HttpClient http;
    private readonly ConcurrentDictionary<string, byte[]> payloadPrefixes = new(StringComparer.Ordinal);
    private readonly ResiliencePipeline<HttpResponseMessage> pipeline;
    private readonly ISignalRTokenSource tokens;
    private readonly string hubPath;
    private readonly string restBase;
    private readonly string restAudienceBase;
    private readonly string clientUrl;
    private readonly string clientAudience;

    /// <param name="handler">Replaces the network in unit tests.</param>
    public SignalRService(SignalRConnectionString connection, ISignalRTokenSource tokens, PushSettings settings, HttpMessageHandler? handler = null)
    {
        this.tokens = tokens;
        hubPath = $"/api/hubs/{PathSegment.Escape(settings.HubName)}";
        restBase = connection.RestEndpoint.GetLeftPart(UriPartial.Authority);
        restAudienceBase = WithoutPort(connection.Endpoint);
        var clientPath = $"{ClientPath}{Uri.EscapeDataString(settings.HubName)}";
        clientUrl = connection.ClientBaseEndpoint.GetLeftPart(UriPartial.Authority) + clientPath;
        clientAudience = WithoutPort(connection.Endpoint) + clientPath;
        http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(2),
            MaxConnectionsPerServer = 256,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        pipeline = BuildPipeline();
    }

    public Task SendToUserAsync(string userId, string target, ReadOnlyMemory<byte> argumentJson, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/users/{Escape(userId)}/:send", Payload(target, argumentJson), cancellationToken);

    public Task SendToAllAsync(string target, ReadOnlyMemory<byte> argumentJson, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "/:send", Payload(target, argumentJson), cancellationToken);

    public Task SendToGroupAsync(string group, string target, ReadOnlyMemory<byte> argumentJson, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/groups/{Escape(group)}/:send", Payload(target, argumentJson), cancellationToken);

    public Task SendToConnectionAsync(string connectionId, string target, ReadOnlyMemory<byte> argumentJson, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/connections/{Escape(connectionId)}/:send", Payload(target, argumentJson), cancellationToken);

    public Task AddUserToGroupAsync(string userId, string group, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"/users/{Escape(userId)}/groups/{Escape(group)}", null, cancellationToken);

    public Task RemoveUserFromGroupAsync(string userId, string group, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"/users/{Escape(userId)}/groups/{Escape(group)}", null, cancellationToken);

    public Task RemoveUserFromAllGroupsAsync(string userId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"/users/{Escape(userId)}/groups", null, cancellationToken);

    public Task CloseConnectionAsync(string connectionId, string reason, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"/connections/{Escape(connectionId)}", null, cancellationToken, $"&reason={Uri.EscapeDataString(reason)}", goneIsSuccess: true);

    public Task CloseUserConnectionsAsync(string userId, string reason, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/users/{Escape(userId)}/:closeConnections", null, cancellationToken, $"&reason={Uri.EscapeDataString(reason)}");

    public async Task<bool> ConnectionExistsAsync(string connectionId, CancellationToken cancellationToken = default) =>
        await SendAsync(HttpMethod.Head, $"/connections/{Escape(connectionId)}", null, cancellationToken, goneIsSuccess: true) != HttpStatusCode.NotFound;

    public async Task PingAsync(CancellationToken cancellationToken = default) =>
        await SendToUrlAsync(HttpMethod.Head, $"{restBase}/api/health?api-version={ApiVersion}", $"{restAudienceBase}/api/health", null, cancellationToken, goneIsSuccess: false);

    public async Task<ClientConnectionInfo> GetClientConnectionInfoAsync(
        string userId, IReadOnlyList<KeyValuePair<string, string>> claims, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        List<KeyValuePair<string, string>> all = [new("asrs.s.uid", userId), .. claims];
        var token = await tokens.GetClientTokenAsync(clientAudience, all, lifetime, cancellationToken);
        return new ClientConnectionInfo(clientUrl, token);
    }

    /// <param name="goneIsSuccess">A 404 with <see cref="ConnectionNotExisted"/> is an answer, not a failure.</param>
    private Task<HttpStatusCode> SendAsync(
        HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken, string query = "", bool goneIsSuccess = false)
    {
        var pathOnHub = hubPath + path;
        return SendToUrlAsync(method, $"{restBase}{pathOnHub}?api-version={ApiVersion}{query}", restAudienceBase + pathOnHub, body, cancellationToken, goneIsSuccess);
    }

    private async Task<HttpStatusCode> SendToUrlAsync(
        HttpMethod method, string url, string audience, byte[]? body, CancellationToken cancellationToken, bool goneIsSuccess)
    {
        try
        {
            // Static callback with explicit state: no closure allocated per call.
            using var response = await pipeline.ExecuteAsync(static async (state, token) =>
            {
                using var request = new HttpRequestMessage(state.method, state.url);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await state.service.tokens.GetRestTokenAsync(state.audience, token));
                if (state.body is not null)
                {
                    request.Content = new ByteArrayContent(state.body);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                }
                return await state.service.http.SendAsync(request, token);
            }, (service: this, method, url, audience, body), cancellationToken);

            var errorCode = response.Headers.TryGetValues("x-ms-error-code", out var codes) ? codes.First() : null;
            if (response.IsSuccessStatusCode || (goneIsSuccess && response.StatusCode == HttpStatusCode.NotFound && errorCode == ConnectionNotExisted))
                return response.StatusCode;

            // A bare 404 is a wrong URL or hub (or a proxy's page), not a gone connection.
            var code = errorCode is null ? "" : $" ({errorCode})";
            throw new SignalRException($"SignalR Service answered {(int)response.StatusCode}{code} to {Operation()}.")
            {
                Reason = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        }
        catch (BrokenCircuitException e)
        {
            throw new SignalRException($"SignalR Service is failing; {Operation()} was not attempted.", e) { Reason = "circuit_open" };
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException)
        {
            throw new SignalRException($"SignalR Service did not answer {Operation()}: {e.Message}", e);
        }

        // Only failures name the operation: built then, not on every call.
        string Operation() => $"{method} {audience}";
    }


    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);

    private static ResiliencePipeline<HttpResponseMessage> BuildPipeline()
    {
        var transient = new PredicateBuilder<HttpResponseMessage>()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode is HttpStatusCode.RequestTimeout);

        return new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = transient,
                FailureRatio = 0.5,
                MinimumThroughput = 20,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = TimeSpan.FromSeconds(3),
            })
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = transient,
                MaxRetryAttempts = 2,
                Delay = TimeSpan.FromMilliseconds(100),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            // The service answers in milliseconds; a send waits at most ~6.5 s for a hung one before its 202.
            .AddTimeout(AttemptTimeout)
            .Build();
    }

    private static string Escape(string value) => PathSegment.Escape(value);

    /// <summary><c>scheme://host</c>: what the SDK puts in audiences, whatever the port (spec §3.2 "Port is not in aud").</summary>
    private static string WithoutPort(Uri endpoint) => $"{endpoint.Scheme}://{endpoint.Host}";

    /// <summary>The PayloadMessage body <c>{"target":..,"arguments":[arg]}</c>, with the argument copied in as is.</summary>
    private byte[] Payload(string target, ReadOnlyMemory<byte> argumentJson)
    {
        // A handful of targets: their prefixes are built once.
        var prefix = payloadPrefixes.GetOrAdd(target, static t => Encoding.UTF8.GetBytes($"{{\"target\":{JsonSerializer.Serialize(t)},\"arguments\":["));
        var body = new byte[prefix.Length + argumentJson.Length + 2];
        prefix.CopyTo(body, 0);
        argumentJson.Span.CopyTo(body.AsSpan(prefix.Length));
        "]}"u8.CopyTo(body.AsSpan(prefix.Length + argumentJson.Length));
        return body;
    }

    public void Dispose() => http.Dispose();
}
