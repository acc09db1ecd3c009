using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace PushFunctions.Bench;

/// <summary>
/// The stages of a send, named from a call stack (leaf first). A stack goes to the innermost of the app's own frames
/// it holds (the front door's middleware calls the function, which calls Publisher, which calls StreamStore: the innermost
/// says what the work was for); a stack with none of the app's frames goes to the library that drives it (Kestrel's
/// connection loop, StackExchange.Redis's reader, HttpClient's connection). Allocation slow paths and collections a
/// request thread does itself count to the stage that allocated; the server GC's own threads are a row of their own.
/// </summary>
public static class SendStages
{
    public const string HttpIn = "HTTP in: Kestrel, hosting, routing";
    public const string Worker = "worker: invocation (gRPC from the host, context, binding, the forwarded request)";
    public const string Guards = "front door: size guards";
    public const string RateLimit = "front door: rate limits";
    public const string Authentication = "front door: authentication";
    public const string FrontDoor = "front door: the middleware itself";
    public const string Body = "body: read, UTF-8 check, JSON parse, validation";
    public const string Function = "the function itself (SendToUser)";
    public const string Append = "append script round trip (StreamStore, StackExchange.Redis)";
    public const string Telemetry = "telemetry (meter)";
    public const string LiveJson = "live push: message JSON (Publisher)";
    public const string Token = "live push: token";
    public const string Rest = "live push: REST request and response (HttpClient, Polly)";
    public const string Answer = "answer: 202 and its JSON";
    public const string OtherApp = "app: other";
    public const string SocketLoop = "socket I/O loop (epoll, completions)";
    /// <summary>perf cannot unwind past libc's send/recv (no frame pointers there), so these have no caller: all three connections.</summary>
    public const string SocketCalls = "send/recv system calls, any connection (kernel TCP on loopback)";
    /// <summary>Likewise past libcrypto: random bytes (ids, epochs), SHA-256, HMAC.</summary>
    public const string Crypto = "OpenSSL calls, any stage (random bytes, SHA-256)";
    public const string ThreadPool = "thread pool, timers, async machinery";
    public const string Gc = "GC threads";
    public const string Runtime = "JIT (tiered compilation) and runtime";
    public const string Other = "other (kernel only, unknown)";

    public static readonly string[] Order =
    [
        HttpIn, Worker, Guards, RateLimit, Authentication, FrontDoor, Body, Function, Append, Telemetry, LiveJson, Token, Rest, Answer,
        OtherApp, SocketLoop, SocketCalls, Crypto, ThreadPool, Gc, Runtime, Other,
    ];

    /// <summary>The app's frames (and the result types that write the answer): the innermost one on a stack names its stage.</summary>
    private static readonly (string Pattern, string Stage)[] AppFrames =
    [
        ("Microsoft.AspNetCore.Http.HttpResults", Answer),
        ("Microsoft.AspNetCore.Http.HttpResponseJsonExtensions", Answer),
        ("PushFunctions.SignalR.AccessKeyTokenSource", Token),
        ("PushFunctions.SignalR.JwtToken", Token),
        ("PushFunctions.SignalR.EntraTokenSource", Token),
        ("PushFunctions.SignalR.", Rest),
        ("PushFunctions.Observability.", Telemetry),
        ("PushFunctions.Redis.", Append),
        ("PushFunctions.Delivery.StreamStore", Append),
        ("PushFunctions.Delivery.StreamScript", Append),
        ("PushFunctions.Delivery.Publisher", LiveJson),
        ("PushFunctions.Delivery.SendValidation", Body),
        ("PushFunctions.Http.JsonBody", Body),
        ("PushFunctions.Http.Ids", Body),
        ("PushFunctions.Http.RequestSizeMiddleware", Guards),
        ("PushFunctions.Http.RateLimit", RateLimit),
        ("PushFunctions.Http.UserRateLimitMiddleware", RateLimit),
        ("PushFunctions.Http.AuthenticationMiddleware", Authentication),
        ("PushFunctions.Http.PermissionMiddleware", Authentication),
        ("PushFunctions.Security.", Authentication),
        ("PushFunctions.Http.ErrorMappingMiddleware", FrontDoor),
        ("PushFunctions.Http.FrontDoor", FrontDoor),
        ("PushFunctions.Http.FunctionCatalog", FrontDoor),
        ("PushFunctions.Delivery.DeliveryFunctions", Function),
        ("PushFunctions.", OtherApp),
        // The worker's own machinery, outside every frame of the app's: what the in-process path has no cost for.
        ("Microsoft.Azure.Functions.Worker", Worker),
    ];

    /// <summary>Libraries, most specific first: for stacks without the app's frames.</summary>
    private static readonly (string Pattern, string Stage)[] LibraryFrames =
    [
        ("Grpc.", Worker),
        ("Google.Protobuf", Worker),
        // The worker's gRPC channel to the host is HTTP/2 through System.Net.Http; the app's REST calls are HTTP/1.1.
        ("System.Net.Http.Http2", Worker),
        ("Microsoft.AspNetCore.Server.Kestrel", HttpIn),
        ("Microsoft.AspNetCore.Hosting", HttpIn),
        ("Microsoft.AspNetCore.Routing", HttpIn),
        ("Microsoft.AspNetCore.Http", HttpIn),
        ("StackExchange.Redis", Append),
        ("Pipelines.Sockets.Unofficial", Append),
        ("System.Net.Http", Rest),
        ("Polly", Rest),
        ("System.Threading.RateLimiting", RateLimit),
        ("OpenTelemetry", Telemetry),
        ("System.Diagnostics.Metrics", Telemetry),
        ("System.Net.Sockets", SocketLoop),
        ("System.IO.Pipelines", HttpIn),
        ("System.Threading", ThreadPool),
        ("System.Runtime.CompilerServices", ThreadPool),
        ("__send (", SocketCalls),
        ("__libc_recv (", SocketCalls),
        ("__libc_sendmsg", SocketCalls),
        ("__libc_recvmsg", SocketCalls),
        ("libcrypto", Crypto),
        ("libclrjit", Runtime),
        ("libcoreclr", Runtime),
        ("System.Private.CoreLib", Runtime),
    ];

    /// <summary>
    /// The runtime's own threads, by name (its native frames have no symbols here): the server GC's threads, and the
    /// background compiler that re-JITs hot methods. Null for any other thread.
    /// </summary>
    public static string? ClassifyThread(string thread) =>
        thread.StartsWith(".NET Server GC", StringComparison.Ordinal) || thread.StartsWith(".NET BGC", StringComparison.Ordinal) ? Gc
        : thread.StartsWith(".NET Tiered Com", StringComparison.Ordinal) ? Runtime
        : null;

    public static string Classify(IReadOnlyList<string> leafFirst)
    {
        foreach (var frame in leafFirst)
            foreach (var (pattern, stage) in AppFrames)
                if (frame.Contains(pattern, StringComparison.Ordinal)) return stage;
        foreach (var (pattern, stage) in LibraryFrames)
            foreach (var frame in leafFirst)
                if (frame.Contains(pattern, StringComparison.Ordinal)) return stage;
        return Other;
    }
}

/// <summary>Where the app's CPU went during a phase: <c>perf record</c> on its process (every thread, kernel time included).</summary>
public sealed class CpuProfile
{
    private const int SigInt = 2;
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    private readonly Process _perf;
    private readonly string _file;
    private readonly int _pid;

    /// <summary>With <c>--stacks</c>: per stage, the most sampled stacks (their innermost frames), for finding what to cut.</summary>
    public Dictionary<string, Dictionary<string, double>> Stacks { get; } = [];

    private CpuProfile(Process perf, string file, int pid)
    {
        _perf = perf;
        _file = file;
        _pid = pid;
    }

    /// <returns>null when perf is not there or may not profile (the table then says so).</returns>
    public static async Task<CpuProfile?> StartAsync(int pid)
    {
        var file = Path.Combine(Path.GetTempPath(), $"pf-bench-perf-{pid}-{Guid.NewGuid():N}.data");
        var start = new ProcessStartInfo("perf") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "record", "-F", "999", "-g", "-p", pid.ToString(), "-o", file, "--quiet" }) start.ArgumentList.Add(a);
        try
        {
            var perf = Process.Start(start)!;
            perf.OutputDataReceived += (_, _) => { };
            perf.ErrorDataReceived += (_, _) => { };
            perf.BeginOutputReadLine();
            perf.BeginErrorReadLine();
            await Task.Delay(300);
            if (perf.HasExited) return null;
            return new CpuProfile(perf, file, pid);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>The innermost frames that say something (the kernel's and unnamed ones left out), short.</summary>
    public static string StackText(IReadOnlyList<string> leafFirst) =>
        string.Join(" <- ", leafFirst
            .Where(f => !f.Contains("kernel.kallsyms", StringComparison.Ordinal) && !f.StartsWith("[unknown]", StringComparison.Ordinal) && !f.Contains(" [unknown] ", StringComparison.Ordinal))
            .Take(9)
            .Select(Short));

    private static string Short(string frame)
    {
        // perf: "ADDR void [Module] Namespace.Type::Method(args)[Tier] (dso)"; EventPipe: "Module!Namespace.Type.Method(args)".
        var text = frame;
        var space = text.IndexOf(' ');
        if (space > 0 && text[..space].All(Uri.IsHexDigit)) text = text[(space + 1)..];
        var paren = text.IndexOf('(');
        if (paren > 0) text = text[..paren];
        var bracket = text.LastIndexOf("] ", StringComparison.Ordinal);
        if (bracket > 0) text = text[(bracket + 2)..];
        var bang = text.IndexOf('!');
        if (bang > 0) text = text[(bang + 1)..];
        return text.Length > 110 ? text[..110] : text;
    }

    /// <summary>Stops recording and counts the samples per stage.</summary>
    public async Task<Dictionary<string, double>> StopAsync()
    {
        kill(_perf.Id, SigInt);
        await _perf.WaitForExitAsync();
        var samples = new Dictionary<string, double>();
        var start = new ProcessStartInfo("perf") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "script", "-i", _file, "-F", "comm,tid,ip,sym,dso", "--no-inline" }) start.ArgumentList.Add(a);
        using var script = Process.Start(start)!;
        script.ErrorDataReceived += (_, _) => { };
        script.BeginErrorReadLine();
        // A sample: a header line (thread name, tid), then one line per frame (tab first), leaf first.
        var frames = new List<string>();
        string? thread = null;
        void Flush()
        {
            if (thread is null) return;
            var stage = SendStages.ClassifyThread(thread) ?? SendStages.Classify(frames);
            samples[stage] = samples.GetValueOrDefault(stage) + 1;
            var stack = StackText(frames);
            var byStack = Stacks.TryGetValue(stage, out var b) ? b : Stacks[stage] = [];
            byStack[stack] = byStack.GetValueOrDefault(stack) + 1;
            frames.Clear();
            thread = null;
        }
        while (await script.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith('\t')) frames.Add(line.Trim());
            else if (line.Trim().Length == 0) Flush();
            else
            {
                Flush();
                thread = line.Trim();
            }
        }
        Flush();
        await script.WaitForExitAsync();
        // PF_BENCH_KEEP_PROFILES=1 keeps the recording (perf report -i FILE) and the app's perf map beside it.
        if (Environment.GetEnvironmentVariable("PF_BENCH_KEEP_PROFILES") == "1")
        {
            File.Copy($"/tmp/perf-{_pid}.map", _file + ".map", overwrite: true);
            Console.WriteLine($"  perf recording kept: {_file}");
        }
        else try { File.Delete(_file); } catch (IOException) { }
        return samples;
    }
}

/// <summary>
/// Where the app's allocations went during a phase: the runtime's allocation ticks (one event per ~100 KB allocated,
/// with the allocating stack and the amount since the last one) read over EventPipe from the app's process.
/// </summary>
public sealed class AllocationProfile
{
    private readonly EventPipeSession _session;
    private readonly Task _copy;
    private readonly string _file;

    private AllocationProfile(EventPipeSession session, Task copy, string file)
    {
        _session = session;
        _copy = copy;
        _file = file;
    }

    public static AllocationProfile Start(int pid)
    {
        var file = Path.Combine(Path.GetTempPath(), $"pf-bench-alloc-{pid}-{Guid.NewGuid():N}.nettrace");
        var keywords = ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.Jit | ClrTraceEventParser.Keywords.Loader;
        var session = new DiagnosticsClient(pid).StartEventPipeSession(
            [new EventPipeProvider(ClrTraceEventParser.ProviderName, EventLevel.Verbose, (long)keywords)], requestRundown: true, circularBufferMB: 256);
        var copy = Task.Run(async () =>
        {
            await using var output = File.Create(file);
            await session.EventStream.CopyToAsync(output);
        });
        return new AllocationProfile(session, copy, file);
    }

    /// <summary>With <c>--stacks</c>: per stage, the stacks (innermost frames, then the type) that allocated the most.</summary>
    public Dictionary<string, Dictionary<string, double>> Stacks { get; } = [];

    /// <summary>Bytes per stage, and per stage the types that took the most.</summary>
    public async Task<(Dictionary<string, double> Bytes, Dictionary<string, Dictionary<string, double>> Types)> StopAsync()
    {
        await _session.StopAsync(CancellationToken.None);
        await _copy;
        _session.Dispose();
        var bytes = new Dictionary<string, double>();
        var types = new Dictionary<string, Dictionary<string, double>>();
        var etlx = TraceLog.CreateFromEventPipeDataFile(_file);
        using (var log = new TraceLog(etlx))
        {
            var frames = new List<string>();
            foreach (var e in log.Events)
            {
                if (e is not GCAllocationTickTraceData tick) continue;
                frames.Clear();
                for (var s = tick.CallStack(); s is not null; s = s.Caller)
                    frames.Add($"{s.CodeAddress.ModuleName}!{s.CodeAddress.FullMethodName}");
                var stage = SendStages.Classify(frames);
                bytes[stage] = bytes.GetValueOrDefault(stage) + tick.AllocationAmount64;
                var byType = types.TryGetValue(stage, out var t) ? t : types[stage] = [];
                byType[tick.TypeName] = byType.GetValueOrDefault(tick.TypeName) + tick.AllocationAmount64;
                var stack = tick.TypeName + " <- " + CpuProfile.StackText(frames);
                var byStack = Stacks.TryGetValue(stage, out var b) ? b : Stacks[stage] = [];
                byStack[stack] = byStack.GetValueOrDefault(stack) + tick.AllocationAmount64;
            }
        }
        if (Environment.GetEnvironmentVariable("PF_BENCH_KEEP_PROFILES") == "1") Console.WriteLine($"  allocation trace kept: {_file}");
        else foreach (var f in new[] { _file, etlx }) try { File.Delete(f); } catch (IOException) { }
        return (bytes, types);
    }
}

/// <summary>The per-stage table of a user send: CPU (perf) and bytes (allocation ticks) of the app's process only.</summary>
public sealed record StageTable(
    int N, int Rounds, double AppCpuUs, double AppCpuUsMin, double AppCpuUsMax, double BenchCpuUs, double RedisCpuUs,
    double FloorBenchCpuUs, double FloorRedisCpuUs, double SendsPerSecond, double FloorSendsPerSecond, double P50, double P99,
    double ProfiledAppCpuUs, Dictionary<string, double>? CpuSamples, double AllocatedBytesPerSend, Dictionary<string, double> Bytes,
    Dictionary<string, Dictionary<string, double>> Types, long ProfiledSends)
{
    public string Format()
    {
        var o = new StringBuilder();
        o.AppendLine($"User sends, N = {N}, {Rounds} untraced rounds of ours and of the floor (Lua + REST), alternated; medians:");
        o.AppendLine();
        o.AppendLine("| figure | value |");
        o.AppendLine("|---|---|");
        o.AppendLine($"| the app's CPU per user send (its own process, all threads) | **{AppCpuUs:F0} µs** (rounds {AppCpuUsMin:F0}-{AppCpuUsMax:F0}) |");
        o.AppendLine($"| bench process per send (the local Functions host, load tool, emulator, clients), ours / floor | {BenchCpuUs:F0} / {FloorBenchCpuUs:F0} µs |");
        o.AppendLine($"| redis-server per send, ours / floor | {RedisCpuUs:F0} / {FloorRedisCpuUs:F0} µs |");
        o.AppendLine($"| floor CPU ÷ our CPU per user send (bench process; + app process for ours) | **{FloorBenchCpuUs / (BenchCpuUs + AppCpuUs):F2}** |");
        o.AppendLine($"| user sends/s, ours / floor | {SendsPerSecond:F0} / {FloorSendsPerSecond:F0} |");
        o.AppendLine($"| publish→receive p50 / p99, ours | {P50:F1} / {P99:F1} ms |");
        o.AppendLine($"| allocated by the app per user send | **{AllocatedBytesPerSend / 1024:F1} KiB** ({AllocatedBytesPerSend:F0} bytes) |");
        o.AppendLine();
        var totalSamples = CpuSamples?.Values.Sum() ?? 0;
        o.AppendLine($"Per stage: CPU = the stage's share of perf's samples × the untraced median ({AppCpuUs:F0} µs; " +
                     $"the profiled phase itself: {ProfiledAppCpuUs:F0} µs per send, {totalSamples:F0} samples); bytes = allocation ticks ÷ sends ({ProfiledSends} sends).");
        o.AppendLine();
        o.AppendLine("| stage | CPU µs per send | share | bytes per send | most allocated types |");
        o.AppendLine("|---|---|---|---|---|");
        foreach (var stage in SendStages.Order)
        {
            var samples = CpuSamples?.GetValueOrDefault(stage) ?? 0;
            var bytes = Bytes.GetValueOrDefault(stage);
            if (samples == 0 && bytes == 0) continue;
            var share = totalSamples > 0 ? samples / totalSamples : double.NaN;
            var top = Types.TryGetValue(stage, out var t)
                ? string.Join(", ", t.OrderByDescending(p => p.Value).Take(4).Select(p => $"{Short(p.Key)} {p.Value / ProfiledSends:F0}"))
                : "";
            o.AppendLine($"| {stage} | {(CpuSamples is null ? "-" : (share * AppCpuUs).ToString("F1"))} | {(CpuSamples is null ? "-" : share.ToString("P1"))} | {bytes / ProfiledSends:F0} | {top} |");
        }
        o.AppendLine($"| **total** | **{AppCpuUs:F0}** | | **{AllocatedBytesPerSend:F0}** | |");
        return o.ToString();
    }

    /// <summary>Per stage, the stacks that cost the most: CPU (µs per send) and bytes per send.</summary>
    public static string FormatStacks(Dictionary<string, Dictionary<string, double>> stacks, double scale, string unit, int top = 12)
    {
        var o = new StringBuilder();
        foreach (var stage in SendStages.Order)
        {
            if (!stacks.TryGetValue(stage, out var byStack)) continue;
            o.AppendLine($"  {stage}:");
            foreach (var (stack, value) in byStack.OrderByDescending(p => p.Value).Take(top))
                o.AppendLine($"    {value * scale,8:F1} {unit}  {stack}");
        }
        return o.ToString();
    }

    private static string Short(string type) => type.Length > 60 ? type[..60] + "…" : type;
}
