using StackExchange.Redis;

namespace PushFunctions.Redis;

/// <summary>
/// A script's map reply (<c>{map = {...}}</c> in Lua: name, value, name, value...) read where it lies: a field is found
/// by comparing its name's bytes, so no dictionary and no name strings are made per call.
/// </summary>
public readonly ref struct ScriptMap(RedisResult reply)
{
    private readonly RedisResult[] items = (RedisResult[]?)reply ?? [];

    /// <exception cref="InvalidOperationException">The script did not answer the field.</exception>
    public RedisResult this[ReadOnlySpan<byte> name] => Find(name)
        ?? throw new InvalidOperationException($"The script's reply has no field '{System.Text.Encoding.UTF8.GetString(name)}'.");

    /// <summary>Whether the field is there and holds <paramref name="value"/>.</summary>
    public bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
        Find(name) is { IsNull: false } field && ((ReadOnlyMemory<byte>)(RedisValue)field).Span.SequenceEqual(value);

    private RedisResult? Find(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            if (((ReadOnlyMemory<byte>)(RedisValue)items[i]).Span.SequenceEqual(name)) return items[i + 1];
        }
        return null;
    }
}
