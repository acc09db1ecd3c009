using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PushFunctions.SignalR;

/// <summary>Mints HS256 JWTs the way SignalR Service expects them (spec §2.2): key = UTF-8 bytes of the access key.</summary>
public static class JwtToken
{
    public static string Create(
        string accessKey, string audience, DateTimeOffset now, TimeSpan lifetime,
        IReadOnlyList<KeyValuePair<string, string>>? claims = null, string? keyId = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteSegment(buffer, writer =>
        {
            writer.WriteString("alg", "HS256");
            writer.WriteString("typ", "JWT");
            if (keyId is not null) writer.WriteString("kid", keyId);
        });
        buffer.Write("."u8);
        WriteSegment(buffer, writer =>
        {
            writer.WriteString("aud", audience);
            writer.WriteNumber("iat", now.ToUnixTimeSeconds());
            writer.WriteNumber("nbf", now.ToUnixTimeSeconds());
            writer.WriteNumber("exp", (now + lifetime).ToUnixTimeSeconds());
            foreach (var (type, value) in claims ?? []) writer.WriteString(type, value);
        });

        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(accessKey), buffer.WrittenSpan);
        return Encoding.ASCII.GetString(buffer.WrittenSpan) + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>
    /// Reads <c>iat</c> (or <c>nbf</c>) and <c>exp</c> from a JWT's payload without checking its signature: for
    /// knowing how long a token we were given stays usable. False when the text is no JWT or lacks <c>exp</c>.
    /// </summary>
    public static bool TryReadLifetime(string token, out DateTimeOffset issuedAt, out DateTimeOffset expires)
    {
        issuedAt = expires = default;
        var first = token.IndexOf('.');
        var second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (second < 0) return false;
        var segment = token.AsSpan(first + 1, second - first - 1);
        var json = ArrayPool<byte>.Shared.Rent(Base64Url.GetMaxDecodedLength(segment.Length));
        try
        {
            if (Base64Url.DecodeFromChars(segment, json, out _, out var written) != OperationStatus.Done) return false;
            var reader = new Utf8JsonReader(json.AsSpan(0, written));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            long? iat = null, nbf = null, exp = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                long? value = null;
                if (!reader.Read()) return false;
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var number)) value = number;
                else reader.Skip();
                if (name.SequenceEqual("iat"u8)) iat = value;
                else if (name.SequenceEqual("nbf"u8)) nbf = value;
                else if (name.SequenceEqual("exp"u8)) exp = value;
            }
            if (exp is null || (iat ?? nbf) is not { } start) return false;
            issuedAt = DateTimeOffset.FromUnixTimeSeconds(start);
            expires = DateTimeOffset.FromUnixTimeSeconds(exp.Value);
            return true;
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(json);
        }
    }

    private static void WriteSegment(ArrayBufferWriter<byte> output, Action<Utf8JsonWriter> write)
    {
        var json = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        var span = output.GetSpan(Base64Url.GetEncodedLength(json.WrittenCount));
        output.Advance(Base64Url.EncodeToUtf8(json.WrittenSpan, span));
    }
}
