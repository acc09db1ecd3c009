using Microsoft.Extensions.Options;
using System.Security.Cryptography;
using System.Text;
using PushFunctions.Configuration;

namespace PushFunctions.Security;

/// <summary>
/// What can be known about a request's credential without any I/O: whether its server key is one of ours, and
/// which session a correctly signed, unexpired token names. Rate limiting runs on this before authentication,
/// so a flood is refused without a Redis lookup; authentication then checks that the session is still live.
/// </summary>
public sealed class CredentialChecks(IOptions<KeyOptions> settings, SessionTokens tokens, TimeProvider time)
{
    private const string BearerPrefix = "Bearer ";
    private readonly byte[][] serverKeyHashes = settings.Value.ServerKeys.Select(HashKey).ToArray();

    public static string? ServerKeyOf(HttpRequest request) =>
        request.Headers[Credentials.ServerKeyHeader].FirstOrDefault() ?? request.Query[Credentials.ServerKeyQuery].FirstOrDefault();

    /// <summary>The token of an <c>Authorization: Bearer</c> header; null without one.</summary>
    public static string? BearerTokenOf(HttpRequest request) =>
        request.Headers.Authorization.FirstOrDefault() is { } value && value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            ? value[BearerPrefix.Length..].Trim()
            : null;

    public bool IsServerKey(string presented)
    {
        // Every request with a server key asks this (the rate limiter, then authentication): no allocation.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var length = Encoding.UTF8.GetMaxByteCount(presented.Length);
        Span<byte> bytes = length <= 512 ? stackalloc byte[length] : new byte[length];
        SHA256.HashData(bytes[..Encoding.UTF8.GetBytes(presented, bytes)], hash);
        var match = false;
        foreach (var known in serverKeyHashes) match |= CryptographicOperations.FixedTimeEquals(known, hash);
        return match;
    }

    /// <summary>The session a session token names, if its signature and expiry are good; whether it is still live is Redis's to say.</summary>
    public string? SessionIdOf(string token) => tokens.Verify(token, time.GetUtcNow());

    // Hashing first gives equal lengths, so the comparison time says nothing about the key.
    private static byte[] HashKey(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
