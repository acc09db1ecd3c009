using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SignalREmulator.Auth;

/// <summary>A claim as written in the token: short JWT names (<c>asrs.s.uid</c>, <c>nameid</c>), no inbound mapping.</summary>
public readonly record struct TokenClaim(string Type, string Value);

/// <summary>A token whose signature, lifetime and audience have been checked.</summary>
public sealed class ValidatedToken(IReadOnlyList<TokenClaim> claims, bool fromEntra = false)
{
    public IReadOnlyList<TokenClaim> Claims { get; } = claims;

    /// <summary>A Microsoft Entra token (the test issuer's), not one signed with an access key.</summary>
    public bool FromEntra { get; } = fromEntra;

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
/// Signs JWTs with Microsoft.IdentityModel.JsonWebTokens: HS256 with an access key (its UTF-8 bytes as written,
/// never base64-decoded: spec §2.2), or RS256 with the test issuer's key.
/// </summary>
public static class Jwt
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>Signs <paramref name="claims"/> (strings, numbers or string arrays) as they are: no times are added.</summary>
    public static string Create(IEnumerable<KeyValuePair<string, object>> claims, string accessKey, string? keyId = null) =>
        Create(claims, new SigningCredentials(HmacKey(Encoding.UTF8.GetBytes(accessKey), keyId), SecurityAlgorithms.HmacSha256));

    public static string Create(IEnumerable<KeyValuePair<string, object>> claims, SigningCredentials credentials)
    {
        var payload = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (type, value) in claims) payload[type] = value;
        return Handler.CreateToken(new SecurityTokenDescriptor { Claims = payload, SigningCredentials = credentials });
    }

    /// <summary>
    /// An HMAC key for IdentityModel, which refuses keys under 256 bits. HMAC itself zero-pads any key shorter than
    /// its block size (64 bytes for SHA-256), so padding to 32 bytes changes no signature: short keys keep working.
    /// </summary>
    public static SymmetricSecurityKey HmacKey(byte[] key, string? keyId = null)
    {
        var bytes = key.Length >= 32 ? key : [.. key, .. new byte[32 - key.Length]];
        return new SymmetricSecurityKey(bytes) { KeyId = keyId };
    }

    /// <summary>Random key material, base64 (the shape of the service's keys).</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
