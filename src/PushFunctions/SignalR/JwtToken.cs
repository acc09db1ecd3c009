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
