using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SignalREmulator.Auth;

/// <summary>A claim as written in the token: short JWT names (<c>asrs.s.uid</c>, <c>nameid</c>), no inbound mapping.</summary>
public readonly record struct TokenClaim(string Type, string Value);

/// <summary>A token whose signature and lifetime have been checked.</summary>
public sealed class ValidatedToken(IReadOnlyList<TokenClaim> claims)
{
    public IReadOnlyList<TokenClaim> Claims { get; } = claims;

    public IEnumerable<string> Audiences => Claims.Where(c => c.Type == "aud").Select(c => c.Value);

    /// <summary>The service's precedence: <c>asrs.s.uid</c>, then NameIdentifier (<c>nameid</c> or its long form), then <c>sub</c>.</summary>
    public string? UserId =>
        Find("asrs.s.uid") ?? Find("nameid")
        ?? Find("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier") ?? Find("sub");

    private string? Find(string type)
    {
        foreach (var claim in Claims)
        {
            if (claim.Type == type && claim.Value.Length > 0) return claim.Value;
        }
        return null;
    }
}

/// <summary>
/// Hand-rolled HS256 (and HS512, which the SDK can be configured to use) JWTs.
/// The HMAC key is the UTF-8 bytes of the AccessKey as written, never base64-decoded (spec §2.2).
/// </summary>
public static class Hs256Jwt
{
    private static readonly string HeaderSegment = Base64Url.EncodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8);

    /// <summary>Signs a token. Claim values may be strings, integers or string arrays.</summary>
    public static string Create(IEnumerable<KeyValuePair<string, object>> claims, string accessKey)
    {
        var payload = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(payload))
        {
            writer.WriteStartObject();
            foreach (var (type, value) in claims)
            {
                switch (value)
                {
                    case string s: writer.WriteString(type, s); break;
                    case long l: writer.WriteNumber(type, l); break;
                    case int i: writer.WriteNumber(type, i); break;
                    case IEnumerable<string> many:
                        writer.WriteStartArray(type);
                        foreach (var item in many) writer.WriteStringValue(item);
                        writer.WriteEndArray();
                        break;
                    default: writer.WriteString(type, value.ToString()); break;
                }
            }
            writer.WriteEndObject();
        }
        var signingInput = HeaderSegment + "." + Base64Url.EncodeToString(payload.WrittenSpan);
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(accessKey), Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>Checks the signature against any of <paramref name="keys"/>, then <c>exp</c> (required) and <c>nbf</c>.</summary>
    public static ValidatedToken? Validate(string token, IReadOnlyList<byte[]> keys, DateTimeOffset now, out string error)
    {
        error = "";
        var firstDot = token.IndexOf('.');
        var lastDot = token.LastIndexOf('.');
        if (firstDot <= 0 || lastDot == firstDot || token.IndexOf('.', firstDot + 1) != lastDot)
        {
            error = "The token is malformed.";
            return null;
        }

        try
        {
            var header = Base64Url.DecodeFromChars(token.AsSpan(0, firstDot));
            var algorithm = ReadAlgorithm(header);
            var signature = Base64Url.DecodeFromChars(token.AsSpan(lastDot + 1));
            var signingInput = Encoding.ASCII.GetBytes(token, 0, lastDot);
            if (!SignatureMatches(algorithm, signingInput, signature, keys))
            {
                error = "The signature is invalid.";
                return null;
            }

            var claims = ReadClaims(Base64Url.DecodeFromChars(token.AsSpan(firstDot + 1, lastDot - firstDot - 1)), out var exp, out var nbf);
            var nowSeconds = now.ToUnixTimeSeconds();
            if (exp is null)
            {
                error = "The token has no exp claim.";
                return null;
            }
            if (exp <= nowSeconds)
            {
                error = "The token is expired.";
                return null;
            }
            // Five minutes of leeway for nbf, as JwtBearer allows: clocks of different machines drift.
            if (nbf is not null && nbf > nowSeconds + 300)
            {
                error = "The token is not yet valid.";
                return null;
            }
            return new ValidatedToken(claims);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            error = "The token is malformed.";
            return null;
        }
    }

    private static string? ReadAlgorithm(byte[] header)
    {
        var reader = new Utf8JsonReader(header);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("header is not an object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isAlg = reader.ValueTextEquals("alg"u8);
            reader.Read();
            if (isAlg && reader.TokenType == JsonTokenType.String) return reader.GetString();
            reader.Skip();
        }
        return null;
    }

    private static bool SignatureMatches(string? algorithm, byte[] signingInput, byte[] signature, IReadOnlyList<byte[]> keys)
    {
        foreach (var key in keys)
        {
            byte[] expected = algorithm switch
            {
                "HS256" => HMACSHA256.HashData(key, signingInput),
                "HS512" => HMACSHA512.HashData(key, signingInput),
                _ => [], // "none" and asymmetric algorithms are never accepted
            };
            if (expected.Length > 0 && CryptographicOperations.FixedTimeEquals(expected, signature)) return true;
        }
        return false;
    }

    private static List<TokenClaim> ReadClaims(byte[] payload, out long? exp, out long? nbf)
    {
        exp = null;
        nbf = null;
        var claims = new List<TokenClaim>();
        using var document = JsonDocument.Parse(payload);
        if (document.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("payload is not an object");
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.NameEquals("exp")) exp = ReadSeconds(property.Value);
            else if (property.NameEquals("nbf")) nbf = ReadSeconds(property.Value);

            if (property.Value.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in property.Value.EnumerateArray()) AddClaim(claims, property.Name, item);
            }
            else
            {
                AddClaim(claims, property.Name, property.Value);
            }
        }
        return claims;
    }

    private static long? ReadSeconds(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt64(out var l) => l,
        JsonValueKind.Number => (long)value.GetDouble(),
        _ => throw new JsonException("time claim is not a number"),
    };

    private static void AddClaim(List<TokenClaim> claims, string type, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String: claims.Add(new(type, value.GetString()!)); break;
            case JsonValueKind.Null: case JsonValueKind.Undefined: break;
            default: claims.Add(new(type, value.GetRawText())); break;
        }
    }
}
