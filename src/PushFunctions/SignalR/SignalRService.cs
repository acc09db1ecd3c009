using Microsoft.Extensions.Options;
using System.Collections.Concurrent;
using System.Net;
using System.Runtime.ExceptionServices;
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

    /// <summary>
    /// The handler called directly: HttpClient would link a cancellation source per request and read every answer into
    /// a buffer, and a send's answer is its status and headers alone.
    /// </summary>
    private readonly HttpMessageInvoker http;
    private readonly ConcurrentDictionary<string, byte[]> payloadPrefixes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Target> targets = new(StringComparer.Ordinal);
    private const int MaxCachedTargets = 10_000;
    private const string JsonContentType = "application/json; charset=utf-8";
    private readonly ResiliencePipeline<HttpResponseMessage> pipeline;
    private readonly ISignalRTokenSource tokens;
    private readonly string hubPath;
    private readonly string restBase;
    private readonly string restAudienceBase;
    private readonly string clientUrl;
    private readonly string clientAudience;

    /// <param name="handler">Replaces the network in unit tests.</param>
    public SignalRService(SignalRConnectionString connection, ISignalRTokenSource tokens, IOptions<SignalROptions> settings, HttpMessageHandler? handler = null)
    {
        this.tokens = tokens;
        var hub = settings.Value.HubName;
        hubPath = $"/api/hubs/{PathSegment.Escape(hub)}";
        restBase = connection.RestEndpoint.GetLeftPart(UriPartial.Authority);
        restAudienceBase = WithoutPort(connection.Endpoint);
        var clientPath = $"{ClientPath}{Uri.EscapeDataString(hub)}";
        clientUrl = connection.ClientBaseEndpoint.GetLeftPart(UriPartial.Authority) + clientPath;
        clientAudience = WithoutPort(connection.Endpoint) + clientPath;
        http = new HttpMessageInvoker(handler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(2),
            MaxConnectionsPerServer = 256,
            // The data-plane API has no redirects: one would be answered as a failure rather than followed (saves a
            // redirect-following layer per call).
            AllowAutoRedirect = false,
        }, disposeHandler: true);
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
        await SendToUrlAsync(HttpMethod.Head, new Target(new Uri($"{restBase}/api/health?api-version={ApiVersion}"), $"{restAudienceBase}/api/health"),
            null, cancellationToken, goneIsSuccess: false);

    public async Task<ClientConnectionInfo> GetClientConnectionInfoAsync(
        string userId, IReadOnlyList<KeyValuePair<string, string>> claims, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        List<KeyValuePair<string, string>> all = [new("asrs.s.uid", userId), .. claims];
        var token = await tokens.GetClientTokenAsync(clientAudience, all, lifetime, cancellationToken);
        return new ClientConnectionInfo(clientUrl, token);
    }

    /// <param name="goneIsSuccess">A 404 with <see cref="ConnectionNotExisted"/> is an answer, not a failure.</param>
    private Task<HttpStatusCode> SendAsync(
        HttpMethod method, string path, PayloadBody? body, CancellationToken cancellationToken, string query = "", bool goneIsSuccess = false)
    {
        Target target;
        if (query.Length > 0) target = NewTarget(path, query);
        else if (!targets.TryGetValue(path, out target!))
        {
            // One target per user, group or connection addressed: bounded as the token source bounds its tokens.
            if (targets.Count >= MaxCachedTargets) targets.Clear();
            target = targets.GetOrAdd(path, NewTarget(path, ""));
        }
        return SendToUrlAsync(method, target, body, cancellationToken, goneIsSuccess);
    }

    private Target NewTarget(string path, string query)
    {
        var pathOnHub = hubPath + path;
        return new Target(new Uri($"{restBase}{pathOnHub}?api-version={ApiVersion}{query}"), restAudienceBase + pathOnHub);
    }

    private async Task<HttpStatusCode> SendToUrlAsync(
        HttpMethod method, Target target, PayloadBody? body, CancellationToken cancellationToken, bool goneIsSuccess)
    {
        var audience = target.Audience;
        try
        {
            // The pipeline's outcome, not its result: no wrapper that rethrows, and each strategy's state is one
            // reference (the call), so their state machines stay small.
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            Outcome<HttpResponseMessage> outcome;
            try
            {
                outcome = await pipeline.ExecuteOutcomeAsync(
                    static (context, call) => call.AttemptAsync(context.CancellationToken), context, new RestCall(this, method, target, body));
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
            if (outcome.Exception is { } failed) ExceptionDispatchInfo.Throw(failed);
            using var response = outcome.Result!;

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


    /// <summary>One REST call: each attempt the pipeline makes sends it anew.</summary>
    private sealed class RestCall(SignalRService service, HttpMethod method, Target target, PayloadBody? body)
    {
        /// <summary>One attempt. Failures come back as the outcome (the pipeline's strategies read them there), never thrown.</summary>
        public async ValueTask<Outcome<HttpResponseMessage>> AttemptAsync(CancellationToken cancellationToken)
        {
            try
            {
                // Headers go in as the text sent: the typed header values are formatted again for every request.
                using var request = new HttpRequestMessage(method, target.Uri);
                request.Headers.TryAddWithoutValidation("Authorization", target.Bearer(await service.tokens.GetRestTokenAsync(target.Audience, cancellationToken)));
                if (body is { } payload)
                {
                    request.Content = new PayloadContent(payload);
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", JsonContentType);
                }
                return Outcome.FromResult(await service.http.SendAsync(request, cancellationToken));
            }
            catch (Exception e)
            {
                return Outcome.FromException<HttpResponseMessage>(e);
            }
        }
    }

    /// <summary>
    /// A REST path as a request goes out: its URI (parsed once), its token audience, and the Authorization header
    /// value of the last token used for it (rebuilt when the token source hands out another token).
    /// </summary>
    private sealed class Target(Uri uri, string audience)
    {
        private BearerHeader? last;

        public Uri Uri { get; } = uri;
        public string Audience { get; } = audience;

        public string Bearer(string token)
        {
            var cached = last;
            if (cached is not null && ReferenceEquals(cached.Token, token)) return cached.Header;
            cached = new BearerHeader(token, "Bearer " + token);
            last = cached;
            return cached.Header;
        }

        private sealed record BearerHeader(string Token, string Header);
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

    /// <summary>The PayloadMessage body <c>{"target":..,"arguments":[arg]}</c>, with the argument as is.</summary>
    private PayloadBody Payload(string target, ReadOnlyMemory<byte> argumentJson) =>
        // A handful of targets: their prefixes are built once.
        new(payloadPrefixes.GetOrAdd(target, static t => Encoding.UTF8.GetBytes($"{{\"target\":{JsonSerializer.Serialize(t)},\"arguments\":[")), argumentJson);

    private readonly record struct PayloadBody(byte[] Prefix, ReadOnlyMemory<byte> Argument);

    /// <summary>
    /// Writes a <see cref="PayloadBody"/> from its parts into the request: the argument (up to a 64 KiB payload) is not
    /// copied into a body array of its own first.
    /// </summary>
    private sealed class PayloadContent(PayloadBody body) : HttpContent
    {
        private static readonly byte[] Suffix = "]}"u8.ToArray();

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(body.Prefix, cancellationToken);
            await stream.WriteAsync(body.Argument, cancellationToken);
            await stream.WriteAsync(Suffix, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Prefix.Length + body.Argument.Length + Suffix.Length;
            return true;
        }
    }

    public void Dispose() => http.Dispose();
}
