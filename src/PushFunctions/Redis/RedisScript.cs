using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace PushFunctions.Redis;

/// <summary>
/// A Lua script shipped as an embedded <c>.lua</c> file beside the class that owns it. Runs by SHA
/// (EVALSHA) and sends the text only when Redis does not know it yet, e.g. after a restart.
/// </summary>
public sealed class RedisScript
{
    private readonly string text;
    private readonly byte[] sha1;

    private RedisScript(string text)
    {
        this.text = text;
        sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(text));
    }

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

    public async Task<RedisResult> RunAsync(IDatabaseAsync database, RedisKey[] keys, RedisValue[] args)
    {
        try
        {
            return await database.ScriptEvaluateAsync(sha1, keys, args);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await database.ScriptEvaluateAsync(text, keys, args);
        }
    }
}
