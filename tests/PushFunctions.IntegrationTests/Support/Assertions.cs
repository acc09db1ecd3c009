using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PushFunctions.IntegrationTests.Support;

public static class ProblemAssert
{
    public const string ProblemJson = "application/problem+json";

    /// <summary>The answer is <paramref name="status"/>, as <c>application/problem+json</c> with a non-empty <c>title</c>.</summary>
    public static void Problem(ApiResponse response, int status, string? context = null)
    {
        var why = (context is null ? "" : context + ": ") + response;
        Assert.True(response.Code == status, $"expected {status}; got {why}");
        Assert.True(response.MediaType == ProblemJson, $"expected content-type {ProblemJson}; got {why}");
        Assert.False(string.IsNullOrWhiteSpace(response.ProblemTitle), $"expected a problem document with a non-empty title; got {why}");
    }

    /// <summary>
    /// The answer is <paramref name="status"/> with no body: what the Functions host (or its Kestrel) answers by itself
    /// before the app sees the request (a route or method it does not serve, a missing host key, headers too large).
    /// </summary>
    public static void Bare(ApiResponse response, int status, string? context = null)
    {
        var why = (context is null ? "" : context + ": ") + response;
        Assert.True(response.Code == status, $"expected {status}; got {why}");
        Assert.True(response.Body.Length == 0, $"expected the host's answer without a body; got {why}");
    }
}

/// <summary>
/// Compares two JSON texts by meaning (same structure, same numbers as written, same strings as UTF-16 code units),
/// tolerating any escaping and lone surrogates, which <see cref="JsonElement.GetString"/> refuses to decode.
/// </summary>
public static class JsonText
{
    public static bool Equivalent(string expected, string actual, out string difference)
    {
        var a = Tokens(expected);
        var b = Tokens(actual);
        for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            var x = i < a.Count ? a[i] : "(end)";
            var y = i < b.Count ? b[i] : "(end)";
            if (x != y)
            {
                difference = $"token {i}: expected {Show(x)}, got {Show(y)}";
                return false;
            }
        }
        difference = "";
        return true;
    }

    private static List<string> Tokens(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        var tokens = new List<string>();
        while (reader.Read())
        {
            var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray();
            tokens.Add(reader.TokenType switch
            {
                JsonTokenType.String or JsonTokenType.PropertyName => reader.TokenType + ":" + Unescape(raw),
                JsonTokenType.Number => "Number:" + Encoding.UTF8.GetString(raw),
                _ => reader.TokenType.ToString(),
            });
        }
        return tokens;
    }

    /// <summary>A JSON string's content (between the quotes) as UTF-16, lone surrogates kept.</summary>
    private static string Unescape(byte[] raw)
    {
        var text = new StringBuilder();
        var run = new List<byte>();
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                run.Add(raw[i]);
                continue;
            }
            text.Append(Encoding.UTF8.GetString([.. run]));
            run.Clear();
            var escape = (char)raw[++i];
            switch (escape)
            {
                case 'u':
                    text.Append((char)Convert.ToUInt16(Encoding.ASCII.GetString(raw, i + 1, 4), 16));
                    i += 4;
                    break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 't': text.Append('\t'); break;
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                default: text.Append(escape); break; // \" \\ \/
            }
        }
        text.Append(Encoding.UTF8.GetString([.. run]));
        return text.ToString();
    }

    private static string Show(string token)
    {
        var shown = new StringBuilder();
        foreach (var c in token.Length > 200 ? token[..200] + "…" : token)
            shown.Append(c < 0x20 || char.IsSurrogate(c) || c is >= '\u007f' and <= '\u00a0' ? $"\\u{(int)c:x4}" : c.ToString());
        return shown.ToString();
    }
}

/// <summary>Theory rows named by a string, so every row shows in the test list and results.</summary>
public static class Cases
{
    public static TheoryData<string> Of(params string[] names)
    {
        var data = new TheoryData<string>();
        foreach (var name in names) data.Add(name);
        return data;
    }

    public static IEnumerable<string> Names(TheoryData<string> data) => ((IEnumerable<object[]>)data).Select(row => (string)row[0]);
}

/// <summary>
/// Waits for a condition that becomes true by itself (a reconnect, a renewal), failing after a generous limit. A Redis
/// error while waiting counts as "not yet": the client is still reconnecting.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public static async Task TrueAsync(Func<Task<bool>> condition, string? what = null)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!await Holds(condition))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Not true within {Limit}: {what ?? "the condition"}");
            await Task.Delay(50);
        }
    }

    private static async Task<bool> Holds(Func<Task<bool>> condition)
    {
        try
        {
            return await condition();
        }
        catch (StackExchange.Redis.RedisException)
        {
            return false;
        }
    }
}
