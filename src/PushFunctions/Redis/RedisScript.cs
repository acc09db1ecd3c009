using StackExchange.Redis;

namespace PushFunctions.Redis;

/// <summary>
/// A Lua script shipped as an embedded <c>.lua</c> file beside the class that owns it. The client loads it once per
/// server (SCRIPT LOAD), then runs it by SHA (EVALSHA), and loads it again when Redis forgot it (NOSCRIPT after a restart).
/// </summary>
public sealed class RedisScript
{
    private readonly string text;

    private RedisScript(string text) => this.text = text;

    /// <summary>Loads <paramref name="fileName"/> from the folder (namespace) of <typeparamref name="TOwner"/>.</summary>
    public static RedisScript Load<TOwner>(string fileName)
    {
        var assembly = typeof(TOwner).Assembly;
        var resource = $"{typeof(TOwner).Namespace}.{fileName}";
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded Lua script '{resource}' is missing.");
        using var reader = new StreamReader(stream);
        return new RedisScript(reader.ReadToEnd());
    }

    public Task<RedisResult> RunAsync(IDatabaseAsync database, RedisKey[] keys, RedisValue[] args) =>
        database.ScriptEvaluateAsync(text, keys, args);
}
