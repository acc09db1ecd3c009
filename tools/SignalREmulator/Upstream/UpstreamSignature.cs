using System.Security.Cryptography;
using System.Text;

namespace SignalREmulator.Upstream;

/// <summary><c>X-ASRS-Signature</c> (spec §4.4): <c>sha256=</c> + uppercase hex HMAC-SHA256(UTF8(key), UTF8(connectionId)).</summary>
public static class UpstreamSignature
{
    public static string Compute(string accessKey, string connectionId) =>
        "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(accessKey), Encoding.UTF8.GetBytes(connectionId)));

    /// <summary>One value per key, comma-joined without spaces (Functions splits on ',' and does not trim).</summary>
    public static string Header(IEnumerable<string> accessKeys, string connectionId) =>
        string.Join(',', accessKeys.Select(key => Compute(key, connectionId)));
}
