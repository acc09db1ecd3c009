using StackExchange.Redis;

namespace PushFunctions.Redis;

/// <summary>Lifetimes that only ever grow: the one way a key shared by several sessions is kept alive.</summary>
public static class KeyLifetimes
{
    /// <summary>
    /// Queues, in <paramref name="transaction"/>, an expiry at <paramref name="until"/> unless the key already lives
    /// longer: NX gives a key without a lifetime one, GT only ever extends it (GT alone never touches a key that
    /// has none, so both are needed).
    /// </summary>
    public static void KeepAtLeastUntil(this ITransaction transaction, RedisKey key, DateTimeOffset until)
    {
        _ = transaction.KeyExpireAsync(key, until.UtcDateTime, ExpireWhen.HasNoExpiry);
        _ = transaction.KeyExpireAsync(key, until.UtcDateTime, ExpireWhen.GreaterThanCurrentExpiry);
    }
}
