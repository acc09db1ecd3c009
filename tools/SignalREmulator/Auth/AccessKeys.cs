using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace SignalREmulator.Auth;

/// <summary>The primary and secondary access keys: any of them verifies tokens, each signs upstream requests.</summary>
public sealed class AccessKeys
{
    public AccessKeys(string primary, IReadOnlyList<string> secondary)
    {
        Primary = primary;
        All = [primary, .. secondary.Where(k => !string.IsNullOrEmpty(k) && k != primary)];
        SigningKeys = All.Select(key => (SecurityKey)Jwt.HmacKey(Encoding.UTF8.GetBytes(key))).ToArray();
    }

    public string Primary { get; }

    public IReadOnlyList<string> All { get; }

    /// <summary>Each key as an HMAC key, built once.</summary>
    public IReadOnlyList<SecurityKey> SigningKeys { get; }

    public override string ToString() => "AccessKeys(***)"; // never let a key reach a log line
}
