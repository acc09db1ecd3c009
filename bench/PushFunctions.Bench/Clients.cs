using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace PushFunctions.Bench;

/// <summary>
/// What every receiving client reports to: the phase a message belongs to (its payload's <c>ph</c>) gets its
/// publish→receive latency (<c>t</c>, a Stopwatch timestamp taken just before the send); a message carrying a
/// mark (<c>m</c>) counts towards "every connection has it".
/// </summary>
public static class Receipts
{
    private static readonly LatencyRecorder?[] Phases = new LatencyRecorder?[256];
    private static readonly ConcurrentDictionary<int, Mark> Marks = new();
    private static int _nextPhase;

    public static (int Id, LatencyRecorder Recorder) NewPhase()
    {
        var id = Interlocked.Increment(ref _nextPhase);
        var recorder = new LatencyRecorder();
        Phases[id] = recorder;
        return (id, recorder);
    }

    public static void EndPhase(int id) => Phases[id] = null;

    public static Mark NewMark(int id, int expected) => Marks[id] = new Mark(expected);

    /// <summary>A <c>message</c> or <c>room_message</c> push to <paramref name="client"/>.</summary>
    public static void OnMessage(BenchClient client, JsonElement argument)
    {
        var stream = argument.GetProperty("stream").GetString()!;
        if (!stream.StartsWith("floor:", StringComparison.Ordinal)) client.Saw(stream, argument.GetProperty("seq").GetInt64());
        var payload = argument.GetProperty("payload");
        if (payload.ValueKind != JsonValueKind.Object) return;
        if (payload.TryGetProperty("ph", out var ph) && payload.TryGetProperty("t", out var t)
            && Phases[ph.GetInt32()] is { } recorder)
            recorder.Record(t.GetInt64());
        if (payload.TryGetProperty("m", out var m) && Marks.TryGetValue(m.GetInt32(), out var mark)) mark.Arrived();
    }

    public sealed class Mark(int expected)
    {
        private int _arrived;
        public long LastArrival { get; private set; }
        public TaskCompletionSource All { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Arrived()
        {
            if (Interlocked.Increment(ref _arrived) != expected) return;
            LastArrival = Stopwatch.GetTimestamp();
            All.TrySetResult();
        }

        public int Count => Volatile.Read(ref _arrived);
    }
}

/// <summary>One simulated browser: a session, one SignalR connection, and the newest seq seen per stream.</summary>
public sealed class BenchClient(string userId, string token)
{
    private readonly ConcurrentDictionary<string, long> _cursors = new(StringComparer.Ordinal);

    public string UserId { get; } = userId;
    public string Token { get; } = token;
    public HubConnection? Connection { get; set; }

    public void Saw(string stream, long seq) => _cursors.AddOrUpdate(stream, seq, (_, old) => Math.Max(old, seq));

    public string CursorsJson() => JsonSerializer.Serialize(new { cursors = _cursors.ToDictionary() });

    /// <summary>Folds a sync answer's messages into the cursors; true when a stream has more pages.</summary>
    public bool Apply(JsonElement sync)
    {
        var more = false;
        foreach (var stream in sync.GetProperty("streams").EnumerateObject())
        {
            foreach (var message in stream.Value.GetProperty("messages").EnumerateArray())
                Saw(stream.Name, message.GetProperty("seq").GetInt64());
            more |= stream.Value.GetProperty("more").GetBoolean();
        }
        return more;
    }
}

/// <summary>The app's HTTP API as the main backend and the browsers call it.</summary>
public sealed class AppApi(HttpClient http, string appUrl, string serverKey)
{
    public HttpClient Http => http;
    public string AppUrl => appUrl;

    public async Task<string> LoginAsync(string userId)
    {
        var json = await SendJsonAsync(HttpMethod.Post, "/api/login", Server, $"{{\"userId\":\"{userId}\",\"userName\":\"Bench {userId}\"}}", 201);
        return json.GetProperty("sessionToken").GetString()!;
    }

    public Task AddMemberAsync(string roomId, string userId) => SendJsonAsync(HttpMethod.Put, $"/api/rooms/{roomId}/members/{userId}", Server, null, 204);

    public async Task<long> OnlineCountAsync() =>
        (await SendJsonAsync(HttpMethod.Get, "/api/online", Server, null, 200)).GetProperty("onlineCount").GetInt64();

    public Task<JsonElement> SyncAsync(string token, string body) => SendJsonAsync(HttpMethod.Post, "/api/sync", Session(token), body, 200);

    /// <summary>One send; true when accepted (202). The body is read in full so the connection is reused.</summary>
    public async Task<bool> PostAsync(string path, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, appUrl + path);
        request.Headers.TryAddWithoutValidation("x-functions-key", serverKey);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = JsonType;
        using var response = await http.SendAsync(request);
        await response.Content.CopyToAsync(Stream.Null);
        return (int)response.StatusCode == 202;
    }

    private static readonly MediaTypeHeaderValue JsonType = new("application/json");
    private Action<HttpRequestMessage> Server => r => r.Headers.TryAddWithoutValidation("x-functions-key", serverKey);
    private static Action<HttpRequestMessage> Session(string token) => r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

    /// <summary>A set-up call; a 503 is retried after its Retry-After, as a main backend does (a cluster node still connecting).</summary>
    private async Task<JsonElement> SendJsonAsync(HttpMethod method, string path, Action<HttpRequestMessage> credential, string? body, int expected)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, appUrl + path);
            credential(request);
            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(request);
            if ((int)response.StatusCode == 503 && attempt < 10)
            {
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                continue;
            }
            return await ReadAsync(method, path, response, expected);
        }
    }

    private static async Task<JsonElement> ReadAsync(HttpMethod method, string path, HttpResponseMessage response, int expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != expected)
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
        if (text.Length == 0) return default;
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
