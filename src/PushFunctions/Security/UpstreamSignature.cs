using System.Security.Cryptography;
using System.Text;

namespace PushFunctions.Security;

/// <summary>
/// <c>X-ASRS-Signature</c> (spec §4.4): <c>sha256=HEX(HMAC_SHA256(UTF8(key), UTF8(connectionId)))</c>, one value per
/// service key, comma-joined. Valid when any value matches any of our keys.
/// </summary>
public static class UpstreamSignature
{
    public static string Compute(string key, string connectionId) =>
        "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(connectionId)));

    public static bool IsValid(string? header, string? connectionId, IReadOnlyList<string> keys)
    {
        if (string.IsNullOrEmpty(header) || string.IsNullOrEmpty(connectionId) || keys.Count == 0) return false;
        var valid = false;
        foreach (var presented in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var key in keys)
            {
                // Hex case differs between the emulator and other senders; compare case-insensitively, in constant time.
                var expected = Encoding.ASCII.GetBytes(Compute(key, connectionId));
                var actual = Encoding.ASCII.GetBytes(presented.ToUpperInvariant().Replace("SHA256=", "sha256="));
                valid |= CryptographicOperations.FixedTimeEquals(expected, actual);
            }
        }
        return valid;
    }
}
