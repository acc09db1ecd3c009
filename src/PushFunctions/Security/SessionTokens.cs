using Microsoft.Extensions.Options;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PushFunctions.Configuration;

namespace PushFunctions.Security;

/// <summary>
/// Session tokens: <c>pf1.{sessionId}.{expiresUnix}.{signature}</c>, HMAC-SHA256 with the first signing key; any
/// configured key verifies (rotation). The signature only spares Redis the forged ones: a token is accepted
/// only while its session record exists, so revocation is immediate.
/// </summary>
public sealed class SessionTokens(IOptions<KeyOptions> settings)
{
    private const string Version = "pf1";
    private readonly byte[][] keys = settings.Value.SigningKeys.Select(Encoding.UTF8.GetBytes).ToArray();

    public string Create(string sessionId, DateTimeOffset expiresAt)
    {
        var body = $"{Version}.{sessionId}.{expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
        return body + "." + Sign(keys[0], body);
    }

    /// <summary>The session id of a well-formed, correctly signed, unexpired token; null otherwise.</summary>
    public string? Verify(string token, DateTimeOffset now)
    {
        var parts = token.Split('.');
        if (parts is not [Version, var sessionId, var expires, var signature]) return null;
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresUnix)) return null;

        var body = token[..token.LastIndexOf('.')];
        var presented = Encoding.ASCII.GetBytes(signature);
        var valid = false;
        foreach (var key in keys)
            valid |= CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(key, body)), presented);

        return valid && now.ToUnixTimeSeconds() < expiresUnix ? sessionId : null;
    }

    private static string Sign(byte[] key, string body) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(body)));
}
