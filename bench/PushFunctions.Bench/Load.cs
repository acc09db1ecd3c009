using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using PushFunctions.Configuration;
using PushFunctions.Delivery;
using PushFunctions.SignalR;
using StackExchange.Redis;

namespace PushFunctions.Bench;

public sealed record LoadResult(long Ok, long Failed, double Seconds)
{
    public double PerSecond => Ok / Seconds;
}

/// <summary>A closed loop: <c>concurrency</c> workers each run one operation after another, for a time or a count.</summary>
public static class ClosedLoop
{
    public static async Task<LoadResult> RunAsync(int concurrency, TimeSpan duration, long maxOps, Func<long, Task<bool>> operation)
    {
        long issued = 0, ok = 0, failed = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            await Task.Yield();
            while (clock.Elapsed < duration)
            {
                var i = Interlocked.Increment(ref issued);
                if (i > maxOps) break;
                try
                {
                    if (await operation(i)) Interlocked.Increment(ref ok);
                    else Interlocked.Increment(ref failed);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref firstError, e.GetType().Name + ": " + e.Message, null);
                    Interlocked.Increment(ref failed);
                }
            }
        }).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed.TotalSeconds;
        if (firstError is not null) Console.Error.WriteLine($"    (first failure: {firstError})");
        return new LoadResult(ok, failed, elapsed);
    }
}

/// <summary>What a send goes to: a user (round robin over the connected users), everyone, or the bench room.</summary>
public sealed record SendKind(string Name, StreamKind Kind, int FanOut, Func<long, string> AppPath, Func<long, string> Stream, Func<long, string> RestPath, string Target)
{
    public static SendKind[] All(IReadOnlyList<string> users, string roomId) =>
    [
        new("user", StreamKind.User, 1, i => $"/api/users/{users[(int)(i % users.Count)]}/messages", i => "user:" + users[(int)(i % users.Count)],
            i => $"/users/{Uri.EscapeDataString(users[(int)(i % users.Count)])}/:send", "message"),
        new("broadcast", StreamKind.Broadcast, users.Count, _ => "/api/broadcast", _ => "broadcast", _ => "/:send", "message"),
        new("room", StreamKind.Room, users.Count, _ => $"/api/rooms/{roomId}/messages", _ => "room:" + roomId,
            _ => $"/groups/{Uri.EscapeDataString("room:" + roomId)}/:send", "room_message"),
    ];
}

/// <summary>
/// The floor: the same work without the app. The same Lua append (the app's StreamAppendScript, with the keys
/// and arguments StreamStore.AppendAsync gives it) by EVALSHA, and the same REST send posted straight to the
/// emulator with a token minted beforehand, at the same concurrency.
/// </summary>
public sealed class Floor : IDisposable
{
    private const string ApiVersion = "2022-06-01";
    private static readonly StreamAppendScript Append = new();
    private readonly ConnectionMultiplexer _redis;
    private readonly HttpClient _http;
    private readonly string _hubBase;
    private readonly string _accessKey;
    private readonly RetentionOptions _retention;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private static readonly MediaTypeHeaderValue JsonUtf8 = new("application/json") { CharSet = "utf-8" };

    public Floor(string redisConnectionString, string emulatorUrl, string accessKey, RetentionOptions retention)
    {
        _redis = ConnectionMultiplexer.Connect(redisConnectionString);
        // The same handler settings as SignalRService.
        _http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(2),
            MaxConnectionsPerServer = 256,
        }) { Timeout = Timeout.InfiniteTimeSpan };
        _hubBase = $"{emulatorUrl}/api/hubs/{BenchSystem.Hub}";
        _accessKey = accessKey;
        _retention = retention;
    }

    public ConnectionMultiplexer Redis => _redis;

    /// <summary>Tokens for every audience the phase will post to, minted before it starts.</summary>
    public void MintTokens(SendKind kind, int distinctTargets)
    {
        for (var i = 0; i < distinctTargets; i++)
        {
            var audience = _hubBase + kind.RestPath(i);
            if (!_tokens.ContainsKey(audience))
                _tokens[audience] = JwtToken.Create(_accessKey, audience, DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
        }
    }

    public async Task<bool> AppendAsync(SendKind kind, long i, string payload)
    {
        // Its own streams (same shape and retention), so the app's streams and the clients' cursors stay untouched.
        var tag = $"pf:{{floor:{kind.Stream(i)}}}";
        var retention = _retention.For(kind.Kind);
        // The room's member sets under the floor's own tag: one slot per call, as the app's (empty sets, the same SCARDs).
        var room = kind.Kind == StreamKind.Room ? new RoomAudience(tag + ":members", tag + ":online") : null;
        var reply = await Append.RunAsync(_redis.GetDatabase(), new StreamAppendScript.Input(StreamKeys.Under(tag), room,
            Guid.CreateVersion7().ToString("N"), null, payload, DateTimeOffset.UtcNow, retention.MaxLength, retention.MaxAge, "floorepoch", null, null));
        return reply is StreamAppendScript.Reply.Stored;
    }

    public async Task<bool> RestSendAsync(SendKind kind, long i, string payload)
    {
        var audience = _hubBase + kind.RestPath(i);
        // The body SignalRService posts: {"target":..,"arguments":[message]}, message as the app serializes it.
        var body = Encoding.UTF8.GetBytes(
            $"{{\"target\":\"{kind.Target}\",\"arguments\":[{{\"id\":\"{Guid.CreateVersion7():N}\",\"stream\":\"floor:{kind.Stream(i)}\",\"seq\":{i},\"from\":null,\"payload\":{payload},\"sentAt\":\"{DateTimeOffset.UtcNow:O}\"}}]}}");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{audience}?api-version={ApiVersion}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _tokens[audience]);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = JsonUtf8;
        using var response = await _http.SendAsync(request);
        return (int)response.StatusCode == 202;
    }

    public void Dispose()
    {
        _redis.Dispose();
        _http.Dispose();
    }
}
