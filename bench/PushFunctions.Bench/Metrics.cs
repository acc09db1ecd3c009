using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PushFunctions.Bench;

/// <summary>Latency samples of one phase, recorded lock-free from any thread (receive loops), in Stopwatch ticks.</summary>
public sealed class LatencyRecorder(int capacity = 4_000_000)
{
    private readonly long[] _samples = new long[capacity];
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Record(long startTimestamp)
    {
        var elapsed = Stopwatch.GetTimestamp() - startTimestamp;
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _samples.Length) _samples[i] = elapsed;
    }

    public Percentiles Summarize()
    {
        var n = (int)Math.Min(Count, _samples.Length);
        if (n == 0) return new Percentiles(0, double.NaN, double.NaN, double.NaN);
        var copy = _samples.AsSpan(0, n).ToArray();
        Array.Sort(copy);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        return new Percentiles(Count, Ms(copy[(int)(n * 0.50)]), Ms(copy[Math.Min(n - 1, (int)(n * 0.99))]), Ms(copy[n - 1]));
    }
}

public readonly record struct Percentiles(long Count, double P50, double P99, double Max)
{
    public string Text => Count == 0 ? "-" : $"{P50:F1} / {P99:F1} / {Max:F0}";
}

/// <summary>INFO commandstats over a raw connection (no client library in between), as calls per command.</summary>
public static class RedisStats
{
    /// <summary>Commands that are not work on behalf of a send: the client library's housekeeping and our own probe.</summary>
    public static readonly HashSet<string> Housekeeping = ["info", "ping", "echo", "client", "cluster", "config", "subscribe", "command", "select"];

    /// <summary>Calls per command, summed over every node (one, or a cluster's masters).</summary>
    public static async Task<Dictionary<string, long>> CommandCallsAsync(IReadOnlyList<int> ports)
    {
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var port in ports)
            foreach (var (name, calls) in await CommandCallsAsync(port))
                total[name] = total.GetValueOrDefault(name) + calls;
        return total;
    }

    public static async Task<Dictionary<string, long>> CommandCallsAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync("INFO commandstats\r\n"u8.ToArray());
        var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int expected = -1, headerEnd = -1;
        while (true)
        {
            var read = await stream.ReadAsync(chunk);
            if (read == 0) break;
            buffer.Write(chunk, 0, read);
            var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
            if (expected < 0)
            {
                var crlf = bytes.IndexOf("\r\n"u8);
                if (crlf < 0) continue;
                expected = int.Parse(Encoding.ASCII.GetString(bytes[1..crlf]));
                headerEnd = crlf + 2;
            }
            if (buffer.Length >= headerEnd + expected) break;
        }
        var text = Encoding.ASCII.GetString(buffer.GetBuffer(), headerEnd, expected);
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split("\r\n"))
        {
            if (!line.StartsWith("cmdstat_", StringComparison.Ordinal)) continue;
            var colon = line.IndexOf(':');
            var name = line[8..colon];
            var value = line[(colon + 1)..].Split(',')[0]; // calls=N
            calls[name] = long.Parse(value[6..]);
        }
        return calls;
    }

    public static Dictionary<string, long> Delta(Dictionary<string, long> before, Dictionary<string, long> after)
    {
        var delta = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, calls) in after)
        {
            var d = calls - before.GetValueOrDefault(name);
            if (d != 0 && !Housekeeping.Contains(name)) delta[name] = d;
        }
        return delta;
    }
}

/// <summary>
/// Allocation and CPU of this whole process over a phase (the local Functions host, the emulator and the clients share it;
/// the app too when it runs in process). The worker processes' CPU is counted apart (<see cref="AppProcess"/>).
/// </summary>
public readonly record struct ProcessSample(long AllocatedBytes, TimeSpan Cpu, int Gen0, int Gen1, int Gen2, long Timestamp)
{
    public static ProcessSample Take() => new(GC.GetTotalAllocatedBytes(precise: false), Process.GetCurrentProcess().TotalProcessorTime,
        GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), Stopwatch.GetTimestamp());

    public static ProcessSample operator -(ProcessSample a, ProcessSample b) =>
        new(a.AllocatedBytes - b.AllocatedBytes, a.Cpu - b.Cpu, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Timestamp - b.Timestamp);

    public double Seconds => Timestamp / (double)Stopwatch.Frequency;
}
