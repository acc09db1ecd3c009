using System.Diagnostics;

namespace PushFunctions.Bench;

/// <summary>
/// The app in a process of its own: the worker process the local Functions host (tools/FunctionsHost) started from the
/// app's build output, as Azure runs it. Its CPU time and its allocations are then the app's alone: the host, the load
/// tool, the clients and the emulator run in the bench's process, Redis in its own.
/// </summary>
public sealed class AppProcess(int id)
{
    private const string AppVariablePrefix = "PF_BENCH_APP_";

    public int Id { get; } = id;

    /// <summary>User + system CPU time of the whole process so far (every thread: GC, thread pool, I/O); zero once it is gone.</summary>
    public TimeSpan Cpu
    {
        get
        {
            try
            {
                using var process = Process.GetProcessById(Id);
                return process.TotalProcessorTime;
            }
            catch (ArgumentException)
            {
                return TimeSpan.Zero;
            }
        }
    }

    /// <summary>
    /// Environment for the worker process: PF_BENCH_APP_X=V sets X=V for the app alone (a runtime knob to try, without
    /// touching the load tool); <paramref name="profiled"/>: its JIT-compiled methods named in /tmp/perf-PID.map, so
    /// `perf` can name the app's frames (the stage profile).
    /// </summary>
    public static IEnumerable<(string Name, string? Value)> Environment(bool profiled)
    {
        foreach (var name in System.Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(n => n.StartsWith(AppVariablePrefix, StringComparison.Ordinal)))
            yield return (name[AppVariablePrefix.Length..], System.Environment.GetEnvironmentVariable(name));
        if (!profiled) yield break;
        yield return ("DOTNET_PerfMapEnabled", "1");
        // Without W^X the JIT's code lies in anonymous memory, where perf looks the map up (with it, in a memfd it cannot name).
        yield return ("DOTNET_EnableWriteXorExecute", "0");
    }

    /// <summary>Removes the perf map a profiled worker process left behind.</summary>
    public static void DeletePerfMap(int id)
    {
        try { File.Delete($"/tmp/perf-{id}.map"); } catch (IOException) { }
    }
}
