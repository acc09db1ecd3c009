using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace PushFunctions.Redis;

/// <summary>
/// The text of a Lua script shipped as embedded <c>.lua</c> files beside the class that owns it. The client loads
/// it once per server (SCRIPT LOAD), then runs it by SHA (EVALSHA), and loads it again when Redis forgot it
/// (NOSCRIPT after a restart). Scripts are called through <see cref="RedisScript{TInput, TReply}"/>.
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
    public static RedisScript Load<TOwner>(string fileName) => Load(typeof(TOwner), fileName);

    /// <summary>The files, in order, from the folder (namespace) of <paramref name="owner"/>, run as one script.</summary>
    public static RedisScript Load(Type owner, params string[] fileNames) =>
        new(string.Join('\n', fileNames.Select(fileName => Embedded(owner, fileName))));

    /// <remarks>
    /// By its SHA1, computed once: given the text, the client looks the script up in its cache of known scripts on every
    /// call, hashing the whole text (~6 µs per call for the stream script, bench --stages). A server that does not know
    /// the script answers NOSCRIPT without running anything; it then gets the text, which the client loads.
    /// </remarks>
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

    private static string Embedded(Type owner, string fileName)
    {
        var resource = $"{owner.Namespace}.{fileName}";
        using var stream = owner.Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded Lua script '{resource}' is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>
/// The one way to call a Lua script: one subclass per script, its typed wrapper. The subclass names what the
/// script takes (<typeparamref name="TInput"/>), builds its KEYS and ARGV in the order the <c>.lua</c> file names
/// them at its top, and reads its reply into <typeparamref name="TReply"/> (scripts answer a map of named fields,
/// <c>{map = {...}}</c> in Lua, read with <see cref="ScriptMap"/>, or <see cref="RedisResult.ToDictionary"/> off the hot path). A caller sees only
/// <see cref="RunAsync"/>: typed input in, typed reply out.
/// </summary>
public abstract class RedisScript<TInput, TReply>
{
    private readonly RedisScript script;

    /// <param name="fileNames">
    /// The script's file in the folder (namespace) of the subclass; a file of Lua functions it shares with other
    /// scripts goes first.
    /// </param>
    protected RedisScript(params string[] fileNames) => script = RedisScript.Load(GetType(), fileNames);

    /// <summary>KEYS[1..n], in the order the script names them.</summary>
    protected abstract RedisKey[] Keys(TInput input);

    /// <summary>ARGV[1..n], in the order the script names them.</summary>
    protected abstract RedisValue[] Arguments(TInput input);

    protected abstract TReply Read(RedisResult reply);

    public async Task<TReply> RunAsync(IDatabaseAsync database, TInput input) =>
        Read(await script.RunAsync(database, Keys(input), Arguments(input)));
}
