namespace SignalREmulator.Admin;

/// <summary>Counters the tests and the benchmark read (for example "REST calls per send"). Lock-free.</summary>
public sealed class Stats
{
    private readonly long[] _restCalls = new long[RestOperations.All.Count];
    private long _connections, _upstreamSent, _upstreamFailed, _upstreamDropped;

    /// <summary>All REST calls received except health checks and temporary-key fetches (probes and auth, not work).</summary>
    public long RestCalls
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _restCalls.Length; i++)
            {
                if (i != RestOperations.Health.Index && i != RestOperations.GetAccessKey.Index) total += Volatile.Read(ref _restCalls[i]);
            }
            return total;
        }
    }

    public long RestCallsFor(string operation) =>
        RestOperations.ByName.TryGetValue(operation, out var op) ? Volatile.Read(ref _restCalls[op.Index]) : 0;

    public int Connections => (int)Volatile.Read(ref _connections);

    public long UpstreamSent => Volatile.Read(ref _upstreamSent);

    public long UpstreamFailed => Volatile.Read(ref _upstreamFailed);

    public long UpstreamDropped => Volatile.Read(ref _upstreamDropped);

    internal void CountRest(RestOperation operation) => Interlocked.Increment(ref _restCalls[operation.Index]);

    internal void ConnectionOpened() => Interlocked.Increment(ref _connections);

    internal void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    internal void UpstreamDelivered() => Interlocked.Increment(ref _upstreamSent);

    internal void UpstreamFailedOnce() => Interlocked.Increment(ref _upstreamFailed);

    internal void UpstreamDroppedOnce() => Interlocked.Increment(ref _upstreamDropped);

    /// <summary>Zeroes the REST and upstream counters (connections are a gauge, not reset).</summary>
    public void Reset()
    {
        for (var i = 0; i < _restCalls.Length; i++) Interlocked.Exchange(ref _restCalls[i], 0);
        Interlocked.Exchange(ref _upstreamSent, 0);
        Interlocked.Exchange(ref _upstreamFailed, 0);
        Interlocked.Exchange(ref _upstreamDropped, 0);
    }

    public StatsSnapshot Snapshot()
    {
        var byOperation = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var op in RestOperations.All)
        {
            var count = Volatile.Read(ref _restCalls[op.Index]);
            if (count > 0) byOperation[op.Name] = count;
        }
        return new StatsSnapshot(RestCalls, byOperation, Connections, new UpstreamStats(UpstreamSent, UpstreamFailed, UpstreamDropped));
    }
}

public sealed record StatsSnapshot(long RestCalls, IReadOnlyDictionary<string, long> RestCallsByOperation, int Connections, UpstreamStats Upstream);

public sealed record UpstreamStats(long Sent, long Failed, long Dropped);
