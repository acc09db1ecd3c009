namespace SignalREmulator.Admin;

/// <summary>What to break, as set by <c>PUT /_emulator/faults</c> or by a test in-process.</summary>
public sealed class FaultSettings
{
    /// <summary>Every REST call answers this status (e.g. 503) instead of doing its work.</summary>
    public int? RestStatus { get; init; }

    /// <summary>Every REST call has its TCP connection reset, as if the service were unreachable.</summary>
    public bool RestDown { get; init; }

    /// <summary>Upstream events matching any of these are not delivered (counted as dropped).</summary>
    public IReadOnlyList<UpstreamDropRule>? DropUpstream { get; init; }
}

/// <summary>
/// Matches an upstream event by name (<c>connected</c>, <c>disconnected</c> or an invocation target) and optionally user;
/// <paramref name="Share"/> (0 to 1) drops only that share of the matching events, at random (all when null).
/// </summary>
public sealed record UpstreamDropRule(string Event, string? UserId = null, double? Share = null);

/// <summary>The current fault settings, swapped atomically so readers never see half an update.</summary>
public sealed class Faults
{
    private static readonly FaultSettings None = new();
    private volatile FaultSettings _current = None;

    public FaultSettings Current => _current;

    public void Set(FaultSettings settings) => _current = settings;

    public void Reset() => _current = None;

    internal bool DropsUpstream(string @event, string? userId)
    {
        var rules = _current.DropUpstream;
        if (rules is null) return false;
        foreach (var rule in rules)
        {
            if (string.Equals(rule.Event, @event, StringComparison.OrdinalIgnoreCase)
                && (rule.UserId is null || string.Equals(rule.UserId, userId, StringComparison.Ordinal)))
            {
                return rule.Share is not { } share || Random.Shared.NextDouble() < share;
            }
        }
        return false;
    }
}
