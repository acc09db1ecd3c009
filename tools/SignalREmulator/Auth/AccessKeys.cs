using System.Text;

namespace SignalREmulator.Auth;

/// <summary>The primary and secondary access keys: any of them verifies tokens, each signs upstream requests.</summary>
public sealed class AccessKeys
{
    public AccessKeys(string primary, IReadOnlyList<string> secondary)
    {
        Primary = primary;
        All = [primary, .. secondary.Where(k => !string.IsNullOrEmpty(k) && k != primary)];
        Bytes = All.Select(Encoding.UTF8.GetBytes).ToArray();
    }

    public string Primary { get; }

    public IReadOnlyList<string> All { get; }

    /// <summary>UTF-8 bytes of each key, computed once: they are the HMAC keys.</summary>
    public IReadOnlyList<byte[]> Bytes { get; }

    public override string ToString() => "AccessKeys(***)"; // never let a key reach a log line
}
