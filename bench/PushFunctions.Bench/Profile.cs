using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PushFunctions.Configuration;
using PushFunctions.Delivery;
using PushFunctions.Http;
using PushFunctions.Presence;
using PushFunctions.SignalR;

namespace PushFunctions.Bench;

/// <summary>
/// The hot path in sections, one call at a time (no concurrency, so the times are service times and the
/// allocation counts are per call): each piece of a send through the app's own services, then the whole send
/// over HTTP. Allocations are process-wide (GC.GetTotalAllocatedBytes), so async sections include the server
/// side of their network calls (the emulator runs in this process); with nothing else running they are exact.
/// </summary>
public static class Profile
{
    public sealed record Section(string Name, double MicrosPerCall, double BytesPerCall);

    public static async Task<List<Section>> RunAsync(BenchSystem system, AppApi api, int iterations)
    {
        await Task.Yield();
        using var floor = new Floor(system.RedisConnectionString, system.Emulator.Url, system.AccessKey, new RetentionOptions());
        var services = system.AppServices;
        var streams = services.GetRequiredService<StreamStore>();
        var signalR = services.GetRequiredService<ISignalRService>();
        var tokens = services.GetRequiredService<ISignalRTokenSource>();
        var publisher = services.GetRequiredService<Publisher>();
        const string user = "profile-user"; // not connected: the emulator's delivery work is left out
        var stream = StreamName.ForUser(user);
        var payloadJson = "{\"k\":\"bench message 00000001 with a little text in it\",\"n\":1}";
        var sendBody = Encoding.UTF8.GetBytes($"{{\"payload\":{payloadJson}}}");
        var request = new Body<SendRequest>(JsonSerializer.Deserialize<SendRequest>(sendBody, JsonBody.Options), null, sendBody);
        var message = SendValidation.Validate(stream, request, null, null).Message!;
        var argument = Encoding.UTF8.GetBytes(
            $"{{\"id\":\"{Guid.CreateVersion7():N}\",\"stream\":\"user:{user}\",\"seq\":1,\"from\":null,\"payload\":{payloadJson},\"sentAt\":\"{DateTimeOffset.UtcNow:O}\"}}");
        var audience = $"{system.Emulator.Url}/api/hubs/{BenchSystem.Hub}/users/{user}/:send";
        var body = Encoding.UTF8.GetBytes($"{{\"payload\":{payloadJson}}}");

        var kind = SendKind.All([user], "profile-room")[0];
        floor.MintTokens(kind, 1);
        var sections = new List<Section>
        {
            Measure("floor: EVALSHA stream_append.lua directly", iterations, () => floor.AppendAsync(kind, 1, payloadJson)),
            Measure("floor: REST send directly (pre-minted token)", iterations, () => floor.RestSendAsync(kind, 1, payloadJson)),
            Measure("REST token (ISignalRTokenSource.GetRestTokenAsync)", iterations, () => tokens.GetRestTokenAsync(audience, default).AsTask()),
            Measure("SendValidation.Validate", iterations, () => { SendValidation.Validate(stream, request, null, null); return Task.CompletedTask; }),
            Measure("StreamStore.AppendAsync (1 EVALSHA)", iterations, () => streams.AppendAsync(stream, message)),
            Measure("ISignalRService.SendToUserAsync (1 REST call)", iterations, () => signalR.SendToUserAsync(user, "message", argument)),
            Measure("Publisher.PublishAsync (append + serialize + REST)", iterations, () => publisher.PublishAsync(stream, message)),
            Measure("POST /api/users/{id}/messages (bench client + app)", iterations, () => api.PostAsync($"/api/users/{user}/messages", body)),
            Measure("POST /api/rooms/{id}/messages (bench client + app)", iterations, () => api.PostAsync("/api/rooms/profile-room/messages", body)),
        };
        sections.AddRange(await PresenceAsync(services.GetRequiredService<PresenceStore>(), api, iterations));
        return sections;
    }

    /// <summary>
    /// Presence with <see cref="OnlineUsers"/> users online (recorded in the store, no live connections, so the
    /// lease check and the online pushes stay out): a user's first connection and last disconnection, and the reads
    /// of the whole: the count, the online list's first page, GET /api/online.
    /// </summary>
    private static async Task<List<Section>> PresenceAsync(PresenceStore presence, AppApi api, int iterations)
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, OnlineUsers), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (i, _) => await presence.ConnectAsync($"profile-online-{i:D6}", $"Online {i}", $"profile-conn-{i:D6}", "profile-session"));
        var next = 0;
        return
        [
            Measure($"PresenceStore.ConnectAsync + DisconnectAsync (first and last connection; {OnlineUsers:N0} online)", iterations, async () =>
            {
                var user = $"profile-churn-{next++ % 1000}";
                await presence.ConnectAsync(user, user, user, "profile-session");
                await presence.DisconnectAsync(user, user);
            }),
            Measure($"PresenceStore.OnlineCountAsync ({OnlineUsers:N0} online)", iterations, presence.OnlineCountAsync),
            Measure($"PresenceStore.PageAsync, first 100 ({OnlineUsers:N0} online)", iterations, () => presence.PageAsync(100, after: null)),
            Measure($"GET /api/online, first 100 (bench client + app; {OnlineUsers:N0} online)", iterations, api.OnlineCountAsync),
        ];
    }

    private const int OnlineUsers = 10_000;

    private static Section Measure(string name, int iterations, Func<Task> call)
    {
        for (var i = 0; i < Math.Max(200, iterations / 10); i++) call().GetAwaiter().GetResult(); // warm-up (JIT, pools)
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++) call().GetAwaiter().GetResult();
        var elapsed = clock.Elapsed;
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
        return new Section(name, elapsed.TotalMicroseconds / iterations, bytes / (double)iterations);
    }

    public static string Format(IEnumerable<Section> sections)
    {
        var o = new StringBuilder();
        o.AppendLine("| section (one call at a time) | µs per call | bytes allocated per call |");
        o.AppendLine("|---|---|---|");
        foreach (var s in sections) o.AppendLine($"| {s.Name} | {s.MicrosPerCall:F1} | {s.BytesPerCall:F0} |");
        return o.ToString();
    }
}
