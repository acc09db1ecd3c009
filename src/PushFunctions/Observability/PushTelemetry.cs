using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PushFunctions.Observability;

/// <summary>
/// Every metric the app records, defined once on the <see cref="MeterName"/> meter (docs/OBSERVABILITY.md lists
/// them), and the <see cref="Source"/> its own spans come from. Tags are low-cardinality words and numbers only:
/// never a payload, token, key, signature, user id or stream name.
/// </summary>
public sealed class PushTelemetry
{
    /// <summary>The meter and the activity source are both named after the app.</summary>
    public const string MeterName = "PushFunctions";

    public const string KindTag = "stream.kind";
    public const string ReasonTag = "reason";
    public const string DependencyTag = "dependency";

    /// <summary>The <see cref="ReasonTag"/> values of <c>push.requests.refused</c>.</summary>
    public static class Refusals
    {
        public const string RateLimit = "rate_limit";
        public const string UserRateLimit = "user_rate_limit";
        /// <summary>429: more of a session's syncs wait on the instance than its burst (<c>SyncGate</c>).</summary>
        public const string SyncQueue = "sync_queue";
        /// <summary>401: credentials missing or wrong.</summary>
        public const string Credentials = "credentials";
        /// <summary>403: valid credentials of a kind the function does not accept.</summary>
        public const string CredentialKind = "wrong_credential_kind";
    }

    /// <summary>The <see cref="DependencyTag"/> values of <c>push.dependency.unavailable</c>.</summary>
    public static class Dependencies
    {
        public const string Redis = "redis";
        public const string SignalR = "signalr";
    }

    /// <summary>Spans the app adds to what the worker, HttpClient and Redis instrumentation record.</summary>
    public static readonly ActivitySource Source = new(MeterName);

    private readonly Counter<long> accepted;
    private readonly Counter<long> replayed;
    private readonly Counter<long> livePushFailed;
    private readonly Counter<long> syncs;
    private readonly Counter<long> syncPages;
    private readonly Counter<long> syncMessages;
    private readonly Counter<long> syncUnrecovered;
    private readonly Counter<long> connected;
    private readonly Counter<long> disconnected;
    private readonly Counter<long> lostDisconnects;
    private readonly Counter<long> refused;
    private readonly Counter<long> unavailable;

    public PushTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        Meter = meter;
        accepted = meter.CreateCounter<long>("push.messages.accepted", "{message}", "Messages stored in a stream (by stream.kind: user, room, broadcast).");
        replayed = meter.CreateCounter<long>("push.messages.replayed", "{message}", "Sends answered from an earlier request with the same Idempotency-Key (nothing stored again).");
        livePushFailed = meter.CreateCounter<long>("push.live_pushes.failed", "{push}", "Live pushes SignalR Service did not take (by stream.kind and reason); clients get them by sync.");
        syncs = meter.CreateCounter<long>("push.sync.calls", "{call}", "Sync answers given.");
        syncPages = meter.CreateCounter<long>("push.sync.pages", "{page}", "Stream pages in sync answers (one per readable stream).");
        syncMessages = meter.CreateCounter<long>("push.sync.messages", "{message}", "Messages returned by sync.");
        syncUnrecovered = meter.CreateCounter<long>("push.sync.unrecovered", "{page}", "Stream pages answered with recovered: false (the client missed messages it can no longer get).");
        connected = meter.CreateCounter<long>("push.connections.connected", "{connection}", "Connections that arrived with a live session (upstream connected events).");
        disconnected = meter.CreateCounter<long>("push.connections.disconnected", "{connection}", "Connections gone (upstream disconnected events and lost ones found by the lease check).");
        lostDisconnects = meter.CreateCounter<long>("push.connections.lost", "{connection}", "Connections found gone by the lease check: their disconnected event was lost.");
        refused = meter.CreateCounter<long>("push.requests.refused", "{request}", "Requests refused by a rate limit (reason rate_limit, user_rate_limit) or by credentials (credentials: missing or wrong, 401; wrong_credential_kind, 403).");
        unavailable = meter.CreateCounter<long>("push.dependency.unavailable", "{answer}", "503 answers because a dependency is down (by dependency: redis, signalr).");
    }

    /// <summary>The app's meter, for instruments that read state (the online-users gauge).</summary>
    public Meter Meter { get; }

    /// <param name="streamKind">The stream's kind as the tag shows it: user, room, broadcast.</param>
    public void Accepted(string streamKind) => accepted.Add(1, new KeyValuePair<string, object?>(KindTag, streamKind));

    /// <param name="streamKind">The stream's kind as the tag shows it: user, room, broadcast.</param>
    public void Replayed(string streamKind) => replayed.Add(1, new KeyValuePair<string, object?>(KindTag, streamKind));

    public void LivePushFailed(string streamKind, string reason) =>
        livePushFailed.Add(1, new KeyValuePair<string, object?>(KindTag, streamKind), new KeyValuePair<string, object?>(ReasonTag, reason));

    /// <summary>One sync call: the stream pages it answered, the messages in them, and the streams not recovered.</summary>
    public void Synced(int pages, long messages, long unrecovered)
    {
        syncs.Add(1);
        syncPages.Add(pages);
        if (messages > 0) syncMessages.Add(messages);
        if (unrecovered > 0) syncUnrecovered.Add(unrecovered);
    }

    public void Connected() => connected.Add(1);

    public void Disconnected() => disconnected.Add(1);

    public void LostDisconnectFound() => lostDisconnects.Add(1);

    /// <param name="reason">One of <see cref="Refusals"/>.</param>
    public void Refused(string reason) => refused.Add(1, new KeyValuePair<string, object?>(ReasonTag, reason));

    /// <param name="dependency">One of <see cref="Dependencies"/>.</param>
    public void DependencyUnavailable(string dependency) => unavailable.Add(1, new KeyValuePair<string, object?>(DependencyTag, dependency));

    /// <summary>A span for one upstream (SignalR Service webhook) event; unknown events share one name.</summary>
    public static Activity? StartUpstream(string category, string @event)
    {
        var name = (category, @event) switch
        {
            ("connections", "connected") => "upstream connections/connected",
            ("connections", "disconnected") => "upstream connections/disconnected",
            _ => "upstream other",
        };
        return Source.StartActivity(name, ActivityKind.Internal);
    }
}
