using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using PushFunctions.Configuration;
using PushFunctions.Bench;
using PushFunctions.Delivery;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var options = BenchOptions.Parse(args);
Console.WriteLine(Machine.Describe());
Console.WriteLine($"options: N = {string.Join(", ", options.Connections)}, concurrency {options.Concurrency}, {options.Duration.TotalSeconds:F0} s per phase, " +
                  $"recovery {options.RecoverMessages} messages{(options.Quick ? " (quick)" : "")}; {options.Topology}");

var report = new Report();
if (!options.Stages)
{
    // The hot path in sections, on a system with no clients connected.
    await using var system = await BenchSystem.StartAsync(1000, options.Topology);
    var api = new AppApi(new HttpClient(), system.AppUrl, system.ServerKey);
    report.Profile = await Profile.RunAsync(system, api, options.ProfileIterations);
    Console.WriteLine("\nhot path, one call at a time:\n" + Profile.Format(report.Profile));
}
if (options.ProfileOnly) return 0;
foreach (var n in options.Connections)
{
    await using var round = new Round(options, n, report, args);
    await round.RunAsync();
}
report.Print(options);
return 0;

namespace PushFunctions.Bench
{
    /// <param name="Stages">only user sends, the app in its own process: its CPU and bytes per send, and per stage (<see cref="StageTable"/>)</param>
    public sealed record BenchOptions(bool Quick, int[] Connections, int Concurrency, TimeSpan Duration, int RecoverMessages, long DeliveryBudget, int BroadcastSamples,
        bool ProfileOnly, int ProfileIterations, Topology Topology, bool Stages = false, int StageRounds = 3)
    {
        public static BenchOptions Parse(string[] args)
        {
            var quick = args.Contains("--quick");
            string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
            var stages = args.Contains("--stages");
            var connections = Value("--n")?.Split(',').Select(int.Parse).ToArray() ?? (stages ? [100] : quick ? [20, 100] : [100, 1000]);
            return new BenchOptions(
                quick,
                connections,
                int.Parse(Value("--concurrency") ?? "32"),
                TimeSpan.FromSeconds(double.Parse(Value("--duration") ?? (quick ? "2" : "6"))),
                int.Parse(Value("--recover") ?? (quick ? "1000" : "10000")),
                long.Parse(Value("--delivery-budget") ?? (quick ? "100000" : "1500000")),
                quick ? 3 : 10,
                args.Contains("--profile"),
                int.Parse(Value("--profile-iterations") ?? (quick ? "1000" : "5000")),
                new Topology(args.Contains("--cluster"), int.Parse(Value("--instances") ?? "1"), InProcess(args, stages),
                    Path.GetFullPath(Value("--app") ?? BenchSystem.BuildOutput())),
                stages,
                int.Parse(Value("--rounds") ?? "3"));
        }

        /// <summary>--in-process: the app in the bench's process; --stages needs it in a process of its own (its worker).</summary>
        private static bool InProcess(string[] args, bool stages)
        {
            var inProcess = args.Contains("--in-process");
            if (inProcess && stages) throw new ArgumentException("--stages measures the app in its worker process: leave out --in-process.");
            return inProcess;
        }
    }

    public static class Machine
    {
        public static string Describe()
        {
            string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
            var cpu = Read("/proc/cpuinfo").Split('\n').FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?";
            var mem = Read("/proc/meminfo").Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal"))?.Split(':', 2)[1].Trim() ?? "?";
            var os = Read("/etc/os-release").Split('\n').FirstOrDefault(l => l.StartsWith("PRETTY_NAME"))?.Split('=', 2)[1].Trim('"') ?? "?";
            return $"machine: {Environment.ProcessorCount} cores, {cpu}, {mem} RAM, {os}, .NET {Environment.Version}, " +
                   $"server GC {System.Runtime.GCSettings.IsServerGC}, load {Load()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC";
        }

        public static string Load() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
    }

    /// <summary>One N: a fresh system, N users with one connection each, all members of one room, every scenario.</summary>
    public sealed class Round(BenchOptions options, int n, Report report, string[] args) : IAsyncDisposable
    {
        private const string RoomId = "bench-room";
        private BenchSystem _system = null!;
        private AppApi _api = null!;
        private Floor _floor = null!;
        private readonly List<BenchClient> _clients = [];
        private static readonly HttpClient Http = new(new SocketsHttpHandler
        {
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            MaxConnectionsPerServer = 512,
        }) { Timeout = TimeSpan.FromSeconds(60) };

        private RetentionOptions Retention => new() { UserMaxLength = Math.Max(1000, options.RecoverMessages * 2) };

        public async Task RunAsync()
        {
            Console.WriteLine($"\n== N = {n} connections ==");
            _system = await BenchSystem.StartAsync(Retention.User.MaxLength, options.Topology, profiled: options.Stages);
            _api = new AppApi(Http, _system.AppUrl, _system.ServerKey);
            _floor = new Floor(_system.RedisConnectionString, _system.Emulator.Url, _system.AccessKey, Retention);

            await SetUpAsync();
            var users = _clients.Select(c => c.UserId).ToList();
            var kinds = SendKind.All(users, RoomId);
            if (options.Stages)
            {
                await StagesAsync(kinds[0]);
                return;
            }

            await WarmUpAsync(kinds[0]);
            foreach (var kind in kinds)
            {
                var ours = await PhaseAsync(kind, "ours", Path.Ours, options.Duration);
                var redis = await PhaseAsync(kind, "floor: Lua only", Path.RedisOnly, options.Duration);
                var rest = await PhaseAsync(kind, "floor: REST only", Path.RestOnly, options.Duration);
                var both = await PhaseAsync(kind, "floor: Lua + REST", Path.Both, options.Duration);
                report.Sends.Add(new SendRow(n, kind.Name, ours!, redis!, rest!, both!));
            }

            await BroadcastToAllAsync();
            await RecoveryAsync();
            await ReconnectStormAsync();
        }

        private async Task SetUpAsync()
        {
            var clock = Stopwatch.StartNew();
            var prefix = "b" + Guid.NewGuid().ToString("N")[..6] + "-";
            var ids = Enumerable.Range(0, n).Select(i => prefix + i.ToString("D5")).ToArray();
            var tokens = new string[n];
            await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
            {
                tokens[i] = await _api.LoginAsync(ids[i]);
                await _api.AddMemberAsync(RoomId, ids[i]);
            });
            _clients.AddRange(ids.Select((id, i) => new BenchClient(id, tokens[i])));
            var loggedIn = clock.Elapsed;

            clock.Restart();
            await Parallel.ForEachAsync(_clients, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (client, _) => await ConnectAsync(client));
            var connected = clock.Elapsed;
            await WaitOnlineAsync(n, TimeSpan.FromSeconds(120));
            Console.WriteLine($"  set-up: {n} logins + room joins {loggedIn.TotalSeconds:F1} s; {n} connections {connected.TotalSeconds:F1} s; " +
                              $"all online {clock.Elapsed.TotalSeconds:F1} s; emulator connections {_system.Emulator.Stats.Connections}");
        }

        private async Task ConnectAsync(BenchClient client)
        {
            for (var attempt = 1; ; attempt++)
            {
                // As a browser tab: negotiate at the app with the session token, follow it to the service, WebSockets.
                var connection = new HubConnectionBuilder()
                    .WithUrl(_system.AppUrl + "/api", o =>
                    {
                        o.AccessTokenProvider = () => Task.FromResult<string?>(client.Token);
                        o.Transports = HttpTransportType.WebSockets;
                    })
                    .Build();
                connection.HandshakeTimeout = TimeSpan.FromSeconds(60);
                connection.On<JsonElement>("message", m => Receipts.OnMessage(client, m));
                connection.On<JsonElement>("room_message", m => Receipts.OnMessage(client, m));
                try
                {
                    await connection.StartAsync();
                    client.Connection = connection;
                    return;
                }
                catch (Exception)
                {
                    await connection.DisposeAsync();
                    if (attempt == 5) throw;
                }
                await Task.Delay(200 * attempt);
            }
        }

        private async Task WaitOnlineAsync(int expected, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (await _api.OnlineCountAsync() != expected)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"presence did not reach {expected} online");
                await Task.Delay(100);
            }
        }

        /// <summary>
        /// User sends until tiered compilation has done its work, not measured: its background compiler shows in the CPU
        /// per send (this process and the app's worker processes), which falls slice after slice until
        /// then. Through the worker a fixed 3 s leaves the first measured phase at 2-3x the steady CPU per send, and a
        /// fixed 20 s the first of several rounds at 2x the others. --quick: one slice (a smoke check).
        /// </summary>
        private async Task WarmUpAsync(SendKind user)
        {
            var previous = double.MaxValue;
            for (var slice = 0; slice < (options.Quick ? 1 : 20); slice++)
            {
                var phase = (await PhaseAsync(user, "warm-up", Path.Ours, TimeSpan.FromSeconds(options.Quick ? 1 : 3), record: false))!;
                var cpu = phase.CpuUsPerSend + phase.AppCpuUsPerSend;
                if (slice >= 3 && cpu > 0.9 * previous) break;
                previous = Math.Min(previous, cpu);
            }
            await Task.Delay(TimeSpan.FromSeconds(options.Quick ? 0 : 2));
        }

        /// <summary>
        /// User sends only, the app in its own process: untraced rounds of ours and of the floor alternated (CPU per
        /// send of each process, sends/s, latency), then one round under perf (the app's CPU by stage) and one under
        /// the runtime's allocation ticks (its bytes by stage).
        /// </summary>
        private async Task StagesAsync(SendKind user)
        {
            var app = _system.AppProcess ?? throw new InvalidOperationException("--stages needs the app in its own process (its worker).");
            await WarmUpAsync(user);
            var ours = new List<PhaseResult>();
            var floor = new List<PhaseResult>();
            for (var r = 0; r < options.StageRounds; r++)
            {
                ours.Add((await PhaseAsync(user, "ours", Path.Ours, options.Duration))!);
                floor.Add((await PhaseAsync(user, "floor: Lua + REST", Path.Both, options.Duration))!);
            }

            var perf = await CpuProfile.StartAsync(app.Id);
            if (perf is null) Console.WriteLine("  perf is not available or may not profile: no CPU by stage");
            var profiled = (await PhaseAsync(user, "ours under perf", Path.Ours, options.Duration))!;
            var samples = perf is null ? null : await perf.StopAsync();

            var allocations = AllocationProfile.Start(app.Id);
            var traced = (await PhaseAsync(user, "ours, alloc ticks", Path.Ours, options.Duration))!;
            var (bytes, types) = await allocations.StopAsync();

            static double Median(IEnumerable<double> values)
            {
                var sorted = values.Order().ToArray();
                return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
            }
            var appCpu = ours.Select(p => p.AppCpuUsPerSend).ToArray();
            var table = new StageTable(n, options.StageRounds, Median(appCpu), appCpu.Min(), appCpu.Max(),
                Median(ours.Select(p => p.CpuUsPerSend)), Median(ours.Select(p => p.RedisCpuUsPerSend)),
                Median(floor.Select(p => p.CpuUsPerSend)), Median(floor.Select(p => p.RedisCpuUsPerSend)),
                Median(ours.Select(p => p.Load.PerSecond)), Median(floor.Select(p => p.Load.PerSecond)),
                Median(ours.Select(p => p.Receive.P50)), Median(ours.Select(p => p.Receive.P99)),
                profiled.AppCpuUsPerSend, samples, bytes.Values.Sum() / Math.Max(1, traced.Load.Ok), bytes, types, traced.Load.Ok);
            report.Stages.Add(table);
            Console.WriteLine();
            Console.WriteLine(table.Format());
            if (args.Contains("--stacks"))
            {
                if (perf is not null)
                    Console.WriteLine("CPU by stack (µs per send):\n" + StageTable.FormatStacks(perf.Stacks, table.AppCpuUs / Math.Max(1, samples!.Values.Sum()), "µs"));
                Console.WriteLine("Bytes by stack (per send):\n" + StageTable.FormatStacks(allocations.Stacks, 1.0 / Math.Max(1, traced.Load.Ok), "B"));
            }
        }

        private enum Path { Ours, RedisOnly, RestOnly, Both }

        private async Task<PhaseResult?> PhaseAsync(SendKind kind, string label, Path path, TimeSpan duration, bool record = true)
        {
            var (phase, receipts) = Receipts.NewPhase();
            var accepts = new LatencyRecorder(2_000_000);
            var maxOps = Math.Max(200, options.DeliveryBudget / kind.FanOut);
            if (path is Path.RestOnly or Path.Both) _floor.MintTokens(kind, n);

            var redisBefore = await RedisStats.CommandCallsAsync(_system.RedisPorts);
            var restBefore = _system.Emulator.Stats.Snapshot();
            var processBefore = ProcessSample.Take();
            var appBefore = _system.AppCpu;
            var redisBefore2 = RedisCpu();

            var result = await ClosedLoop.RunAsync(options.Concurrency, duration, maxOps, async i =>
            {
                var start = Stopwatch.GetTimestamp();
                var payload = $"{{\"ph\":{phase},\"t\":{start},\"k\":\"bench message {i:D8} with a little text in it\"}}";
                bool ok;
                switch (path)
                {
                    case Path.Ours:
                        ok = await _api.PostAsync(kind.AppPath(i), Encoding.UTF8.GetBytes($"{{\"payload\":{payload}}}"));
                        break;
                    case Path.RedisOnly:
                        ok = await _floor.AppendAsync(kind, i, payload);
                        break;
                    case Path.RestOnly:
                        ok = await _floor.RestSendAsync(kind, i, payload);
                        break;
                    default:
                        ok = await _floor.AppendAsync(kind, i, payload) && await _floor.RestSendAsync(kind, i, payload);
                        break;
                }
                accepts.Record(start);
                return ok;
            });
            var process = ProcessSample.Take() - processBefore;
            var appCpu = _system.AppCpu - appBefore;
            var redisCpu = RedisCpu() - redisBefore2;
            var redisDelta = RedisStats.Delta(redisBefore, await RedisStats.CommandCallsAsync(_system.RedisPorts));
            var restAfter = _system.Emulator.Stats.Snapshot();

            // Wait for the live pushes still queued in the emulator to arrive (or stop arriving).
            var expected = path == Path.RedisOnly ? 0 : result.Ok * kind.FanOut;
            var drain = Stopwatch.StartNew();
            long last = -1;
            var progress = Stopwatch.StartNew();
            while (receipts.Count < expected && progress.Elapsed < TimeSpan.FromSeconds(10))
            {
                if (receipts.Count != last) { last = receipts.Count; progress.Restart(); }
                await Task.Delay(20);
            }
            var drained = drain.Elapsed;
            Receipts.EndPhase(phase);

            var restByOperation = restAfter.RestCallsByOperation.ToDictionary(p => p.Key, p => p.Value - restBefore.RestCallsByOperation.GetValueOrDefault(p.Key))
                .Where(p => p.Value != 0).ToDictionary();
            var row = new PhaseResult(label, result, accepts.Summarize(), receipts.Summarize(), expected, drained.TotalSeconds,
                redisDelta, restAfter.RestCalls - restBefore.RestCalls, restByOperation, process, appCpu, redisCpu);
            if (record) Console.WriteLine($"  {kind.Name,-9} {row.Line}");
            // Let the machine settle between phases (GC, queued frames).
            await Task.Delay(500);
            return row;
        }

        private TimeSpan RedisCpu()
        {
            if (_system.RedisProcess is not { HasExited: false } redis) return TimeSpan.Zero;
            redis.Refresh();
            return redis.TotalProcessorTime;
        }

        /// <summary>One broadcast at a time to all N connections: the time from the POST until the last connection has it.</summary>
        private async Task BroadcastToAllAsync()
        {
            var samples = new List<double>();
            var accepted = new List<double>();
            for (var k = 0; k < options.BroadcastSamples; k++)
            {
                var id = 100_000 + k;
                var mark = Receipts.NewMark(id, n);
                var start = Stopwatch.GetTimestamp();
                if (!await _api.PostAsync("/api/broadcast", Encoding.UTF8.GetBytes($"{{\"payload\":{{\"m\":{id}}}}}")))
                    throw new InvalidOperationException("broadcast refused");
                accepted.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                try
                {
                    await mark.All.Task.WaitAsync(TimeSpan.FromSeconds(60));
                    samples.Add((mark.LastArrival - start) * 1000.0 / Stopwatch.Frequency);
                }
                catch (TimeoutException)
                {
                    Console.WriteLine($"  broadcast-to-all: only {mark.Count} of {n} received it within 60 s");
                }
                await Task.Delay(200);
            }
            samples.Sort();
            accepted.Sort();
            var row = new FanOutRow(n, samples.Count, options.BroadcastSamples, samples.Count > 0 ? samples[samples.Count / 2] : double.NaN,
                samples.Count > 0 ? samples[^1] : double.NaN, accepted[accepted.Count / 2]);
            report.FanOut.Add(row);
            Console.WriteLine($"  broadcast to all {n}: last connection has it after {row.MedianMs:F1} ms (median of {row.Samples}), max {row.MaxMs:F1} ms; 202 after {row.AcceptMs:F1} ms");
        }

        /// <summary>A user who missed M messages (offline) syncs them all from a fresh device.</summary>
        private async Task RecoveryAsync()
        {
            var userId = "recover-" + Guid.NewGuid().ToString("N")[..8];
            var token = await _api.LoginAsync(userId);
            var fill = await ClosedLoop.RunAsync(options.Concurrency, TimeSpan.FromMinutes(10), options.RecoverMessages, async i =>
                await _api.PostAsync($"/api/users/{userId}/messages", Encoding.UTF8.GetBytes($"{{\"payload\":{{\"n\":{i},\"k\":\"missed message with a little text\"}}}}")));
            if (fill.Ok != options.RecoverMessages) throw new InvalidOperationException($"recovery fill: {fill.Ok} accepted of {options.RecoverMessages}");

            var broadcastSeq = (long?)await _floor.Redis.GetDatabase().StringGetAsync("pf:{broadcast}:seq") ?? 0;
            var stream = "user:" + userId;
            long cursor = 0, received = 0, bytes = 0;
            var pages = 0;
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var body = JsonSerializer.Serialize(new { cursors = new Dictionary<string, long> { [stream] = cursor, ["broadcast"] = broadcastSeq } });
                var sync = await _api.SyncAsync(token, body);
                pages++;
                var entry = sync.GetProperty("streams").GetProperty(stream);
                foreach (var message in entry.GetProperty("messages").EnumerateArray())
                {
                    var seq = message.GetProperty("seq").GetInt64();
                    if (seq != cursor + 1) throw new InvalidOperationException($"recovery: seq {seq} after {cursor}");
                    cursor = seq;
                    received++;
                }
                bytes += entry.GetRawText().Length;
                if (!entry.GetProperty("more").GetBoolean()) break;
            }
            var elapsed = clock.Elapsed;
            var row = new RecoveryRow(n, options.RecoverMessages, received, pages, elapsed.TotalMilliseconds, fill.PerSecond);
            report.Recovery.Add(row);
            Console.WriteLine($"  recovery: {received} of {options.RecoverMessages} missed messages in {pages} pages, {elapsed.TotalMilliseconds:F0} ms " +
                              $"({received / elapsed.TotalSeconds:F0} msg/s, {bytes / 1024} KiB); filling them: {fill.PerSecond:F0} sends/s into one stream");
        }

        /// <summary>All N connections drop at once and come back; each syncs from its cursors.</summary>
        private async Task ReconnectStormAsync()
        {
            var stats = _system.Emulator.Stats;
            var pushesBefore = stats.RestCallsFor("sendToHub");
            var restBefore = stats.Snapshot();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(_clients.Select(async c => { if (c.Connection is { } connection) await connection.DisposeAsync(); c.Connection = null; }));
            var dropped = clock.Elapsed;

            long syncCalls = 0;
            var reconnected = TimeSpan.Zero;
            var connectedCount = 0;
            await Task.WhenAll(_clients.Select(async client =>
            {
                await Task.Yield();
                await ConnectAsync(client);
                if (Interlocked.Increment(ref connectedCount) == n) reconnected = clock.Elapsed;
                while (true)
                {
                    Interlocked.Increment(ref syncCalls);
                    if (!client.Apply(await _api.SyncAsync(client.Token, client.CursorsJson()))) break;
                }
            }));
            var synced = clock.Elapsed;
            await WaitOnlineAsync(n, TimeSpan.FromSeconds(60));
            // update_online_count is coalesced (one push per interval): wait until no more come.
            long pushes = -1;
            while (stats.RestCallsFor("sendToHub") != pushes)
            {
                pushes = stats.RestCallsFor("sendToHub");
                await Task.Delay(1000);
            }
            pushes -= pushesBefore;
            var restAfter = stats.Snapshot();
            var byOperation = restAfter.RestCallsByOperation.Select(p => (p.Key, p.Value - restBefore.RestCallsByOperation.GetValueOrDefault(p.Key)))
                .Where(p => p.Item2 > 0).Select(p => $"{p.Key} {p.Item2}");
            var row = new StormRow(n, dropped.TotalMilliseconds, reconnected.TotalMilliseconds, synced.TotalMilliseconds, pushes, syncCalls,
                string.Join(", ", byOperation));
            report.Storm.Add(row);
            Console.WriteLine($"  reconnect storm: dropped in {row.DropMs:F0} ms; all {n} reconnected at {row.ReconnectedMs:F0} ms, all synced at {row.SyncedMs:F0} ms " +
                              $"({syncCalls} sync calls); update_online_count pushes: {pushes}; REST: {row.Rest}");
        }

        public async ValueTask DisposeAsync()
        {
            await Task.WhenAll(_clients.Select(async c => { if (c.Connection is { } connection) await connection.DisposeAsync(); }));
            _floor?.Dispose();
            if (_system is not null) await _system.DisposeAsync();
        }
    }

    public sealed record PhaseResult(string Label, LoadResult Load, Percentiles Accept, Percentiles Receive, long ExpectedReceipts, double DrainSeconds,
        Dictionary<string, long> Redis, long Rest, Dictionary<string, long> RestByOperation, ProcessSample Process, TimeSpan AppCpu, TimeSpan RedisCpu)
    {
        /// <summary>The app's process alone (zero when the app runs in this process).</summary>
        public double AppCpuUsPerSend => AppCpu.TotalMicroseconds / Math.Max(1, Load.Ok);
        public double RedisCpuUsPerSend => RedisCpu.TotalMicroseconds / Math.Max(1, Load.Ok);
        public long EvalCalls => Redis.GetValueOrDefault("evalsha") + Redis.GetValueOrDefault("eval");
        public double EvalPerSend => EvalCalls / (double)Math.Max(1, Load.Ok);
        public double RestPerSend => Rest / (double)Math.Max(1, Load.Ok);
        public double AllocPerSend => Process.AllocatedBytes / (double)Math.Max(1, Load.Ok);
        public double CpuUsPerSend => Process.Cpu.TotalMicroseconds / Math.Max(1, Load.Ok);

        public string Line =>
            $"{Label,-18} {Load.PerSecond,8:F0}/s ok {Load.Ok,7} fail {Load.Failed,3} | 202 p50/p99/max {Accept.Text} ms | receive {Receive.Text} ms " +
            $"({Receive.Count}/{ExpectedReceipts}, drain {DrainSeconds:F1} s) | evalsha/send {EvalPerSend:F2} REST/send {RestPerSend:F2} | " +
            $"{AllocPerSend / 1024:F1} KiB, {CpuUsPerSend:F0} µs CPU per send (this process){(AppCpu > TimeSpan.Zero ? $" + {AppCpuUsPerSend:F0} µs worker process" : "")}, redis {RedisCpuUsPerSend:F0} µs | redis: {string.Join(" ", Redis.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))}";
    }

    public sealed record SendRow(int N, string Kind, PhaseResult Ours, PhaseResult RedisFloor, PhaseResult RestFloor, PhaseResult BothFloor)
    {
        /// <summary>Top-level Redis commands per send: our script calls plus any command per send beyond what the script itself issues (the floor's mix).</summary>
        public double RedisCommandsPerSend
        {
            get
            {
                var extra = 0.0;
                foreach (var (command, calls) in Ours.Redis)
                {
                    if (command is "evalsha" or "eval") continue;
                    var ours = calls / (double)Math.Max(1, Ours.Load.Ok);
                    var floor = RedisFloor.Redis.GetValueOrDefault(command) / (double)Math.Max(1, RedisFloor.Load.Ok);
                    if (ours - floor > 0.005) extra += ours - floor;
                }
                return Ours.EvalPerSend + extra;
            }
        }
    }

    public sealed record FanOutRow(int N, int Samples, int Attempts, double MedianMs, double MaxMs, double AcceptMs);
    public sealed record RecoveryRow(int N, int Missed, long Received, int Pages, double Ms, double FillPerSecond);
    public sealed record StormRow(int N, double DropMs, double ReconnectedMs, double SyncedMs, long Pushes, long SyncCalls, string Rest);

    public sealed class Report
    {
        public List<SendRow> Sends { get; } = [];
        public List<FanOutRow> FanOut { get; } = [];
        public List<RecoveryRow> Recovery { get; } = [];
        public List<StormRow> Storm { get; } = [];
        public List<Profile.Section> Profile { get; set; } = [];
        public List<StageTable> Stages { get; } = [];

        public void Print(BenchOptions options)
        {
            var o = new StringBuilder();
            o.AppendLine();
            o.AppendLine($"## Results ({Machine.Load()} load at the end; concurrency {options.Concurrency})");
            o.AppendLine();
            o.AppendLine("| N | send | ours sends/s | floor Lua / REST / Lua+REST per s | ours ÷ floor (Lua+REST) | ours ÷ min(Lua, REST) | publish→receive p50/p99/max ms (ours) | same, floor | received | Redis cmds/send | REST calls/send | alloc/send |");
            o.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var r in Sends)
            {
                var floorMin = Math.Min(r.RedisFloor.Load.PerSecond, r.RestFloor.Load.PerSecond);
                o.AppendLine($"| {r.N} | {r.Kind} | {r.Ours.Load.PerSecond:F0} | {r.RedisFloor.Load.PerSecond:F0} / {r.RestFloor.Load.PerSecond:F0} / {r.BothFloor.Load.PerSecond:F0} | " +
                             $"{r.Ours.Load.PerSecond / r.BothFloor.Load.PerSecond:F2} | {r.Ours.Load.PerSecond / floorMin:F2} | {r.Ours.Receive.Text} | {r.BothFloor.Receive.Text} | " +
                             $"{r.Ours.Receive.Count}/{r.Ours.ExpectedReceipts} | {r.RedisCommandsPerSend:F2} | {r.Ours.RestPerSend:F2} | {r.Ours.AllocPerSend / 1024:F1} KiB |");
            }
            o.AppendLine();
            o.AppendLine("| N | broadcast to all: last connection has it (median / max ms) | recovery: missed → received, pages, ms | reconnect storm: all reconnected / all synced (ms) | update_online_count pushes |");
            o.AppendLine("|---|---|---|---|---|");
            foreach (var n in Sends.Select(s => s.N).Distinct())
            {
                var f = FanOut.FirstOrDefault(x => x.N == n);
                var r = Recovery.FirstOrDefault(x => x.N == n);
                var s = Storm.FirstOrDefault(x => x.N == n);
                o.AppendLine($"| {n} | {(f is null ? "-" : $"{f.MedianMs:F1} / {f.MaxMs:F1} ({f.Samples}/{f.Attempts})")} | " +
                             $"{(r is null ? "-" : $"{r.Missed} → {r.Received}, {r.Pages}, {r.Ms:F0}")} | " +
                             $"{(s is null ? "-" : $"{s.ReconnectedMs:F0} / {s.SyncedMs:F0}")} | {(s is null ? "-" : s.Pushes.ToString())} |");
            }
            foreach (var stages in Stages)
            {
                o.AppendLine();
                o.AppendLine(stages.Format());
            }
            if (Profile.Count == 0)
            {
                Console.WriteLine(o.ToString());
                return;
            }
            o.AppendLine();
            o.AppendLine("Hot path, one call at a time (no clients connected):");
            o.AppendLine();
            o.Append(PushFunctions.Bench.Profile.Format(Profile));
            Console.WriteLine(o.ToString());
        }
    }
}
