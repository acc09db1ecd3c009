using PushFunctions.Scheduling;

namespace PushFunctions.Tests;

public sealed class EarliestDueTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Take_gives_the_earliest_time_offered_and_then_nothing_until_another_offer()
    {
        var due = new EarliestDue();
        Assert.Null(due.Take());

        due.Offer(Noon.AddSeconds(30));
        due.Offer(Noon.AddSeconds(5));
        due.Offer(Noon.AddSeconds(20));
        Assert.Equal(Noon.AddSeconds(5), due.Take());
        Assert.Null(due.Take());

        due.Offer(Noon.AddMinutes(1));
        Assert.Equal(Noon.AddMinutes(1), due.Take());
    }

    [Fact]
    public async Task Offers_from_many_threads_keep_the_earliest()
    {
        var due = new EarliestDue();
        await Task.WhenAll(Enumerable.Range(1, 1000).Select(i => Task.Run(() => due.Offer(Noon.AddMilliseconds(i)))));
        Assert.Equal(Noon.AddMilliseconds(1), due.Take());
    }
}
