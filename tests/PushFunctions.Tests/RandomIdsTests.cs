using PushFunctions.Delivery;

namespace PushFunctions.Tests;

public class RandomIdsTests
{
    [Fact]
    public void A_message_id_is_a_version_7_uuid_of_its_time_in_32_lowercase_hex_digits()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(0x0123_4567_89AB);

        var id = RandomIds.NewMessageId(now);

        Assert.Matches("^[0-9a-f]{32}$", id);
        var uuid = Guid.ParseExact(id, "N");
        Assert.Equal(7, uuid.Version);
        Assert.Equal(0b10, uuid.Variant >> 2);
        Assert.StartsWith("0123456789ab", id);
    }

    [Fact]
    public void Ids_and_epochs_do_not_repeat_across_many_refills_of_the_random_bytes()
    {
        var now = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, 5_000).Select(_ => RandomIds.NewMessageId(now)).ToList();
        var epochs = Enumerable.Range(0, 5_000).Select(_ => RandomIds.NewEpoch()).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(epochs.Count, epochs.Distinct().Count());
        Assert.All(epochs, e => Assert.Matches("^[0-9a-f]{10}$", e));
    }
}
