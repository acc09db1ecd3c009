using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PushFunctions.SignalR;

/// <summary>
/// Mints the HS256 JWTs SignalR Service expects (spec §2.2) with Microsoft.IdentityModel.JsonWebTokens:
/// key = the UTF-8 bytes of the access key as written (never base64-decoded), <c>kid</c> = a temporary key's id.
/// </summary>
public static class JwtToken
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public static string Create(
        string accessKey, string audience, DateTimeOffset now, TimeSpan lifetime,
        IReadOnlyList<KeyValuePair<string, string>>? claims = null, string? keyId = null) =>
        Create(Credentials(accessKey, keyId), audience, now, lifetime, claims);

    /// <param name="credentials">From <see cref="Credentials"/>, made once per key: IdentityModel caches its HMAC per key.</param>
    public static string Create(
        SigningCredentials credentials, string audience, DateTimeOffset now, TimeSpan lifetime,
        IReadOnlyList<KeyValuePair<string, string>>? claims = null)
    {
        var payload = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["aud"] = audience,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
        };
        foreach (var (type, value) in claims ?? []) payload[type] = value;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = payload,
            SigningCredentials = credentials,
        });
    }

    /// <summary>HS256 with the access key; <paramref name="keyId"/> goes in the header as <c>kid</c>.</summary>
    public static SigningCredentials Credentials(string accessKey, string? keyId = null) =>
        new(HmacKey(accessKey, keyId), SecurityAlgorithms.HmacSha256);

    /// <summary>
    /// IdentityModel refuses HMAC keys under 256 bits; HMAC itself zero-pads a shorter key to its block size, so
    /// padding it to 32 bytes changes no signature and short (local) keys keep working.
    /// </summary>
    private static SymmetricSecurityKey HmacKey(string accessKey, string? keyId)
    {
        var bytes = Encoding.UTF8.GetBytes(accessKey);
        if (bytes.Length < 32) Array.Resize(ref bytes, 32);
        return new SymmetricSecurityKey(bytes) { KeyId = keyId };
    }
}
