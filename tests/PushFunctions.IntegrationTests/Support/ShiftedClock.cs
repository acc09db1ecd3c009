namespace PushFunctions.IntegrationTests.Support;

/// <summary>The wall clock, moved forward by the test, so that what waits on time (leases, retention, windows) runs out without waiting.</summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _shiftTicks;

    public void Shift(TimeSpan by) => Interlocked.Add(ref _shiftTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _shiftTicks));
}
