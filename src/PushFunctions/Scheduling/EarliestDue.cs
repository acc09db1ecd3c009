namespace PushFunctions.Scheduling;

/// <summary>
/// The earliest of the times offered since it was last taken, held in memory and safe across threads. Work this
/// instance leaves to the periodic check offers when it is due, so that the check, which reads Redis only when it
/// knows something is due, looks at that time instead of at its next read.
/// </summary>
public sealed class EarliestDue
{
    private long unixMs = long.MaxValue; // long.MaxValue: nothing offered

    public void Offer(DateTimeOffset due)
    {
        var offered = due.ToUnixTimeMilliseconds();
        long held;
        do held = Volatile.Read(ref unixMs);
        while (offered < held && Interlocked.CompareExchange(ref unixMs, offered, held) != held);
    }

    /// <summary>The earliest time offered since the last call (null: none), forgotten from then on.</summary>
    public DateTimeOffset? Take()
    {
        var taken = Interlocked.Exchange(ref unixMs, long.MaxValue);
        return taken == long.MaxValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(taken);
    }
}
