using System.Security.Cryptography;
using System.Text;
using FunctionsHost.Functions;

namespace FunctionsHost.Http;

/// <summary>
/// The host's key check on routes that are not anonymous: the key is the <c>x-functions-key</c> header when the
/// request has one, else the <c>code</c> query parameter (the host's AuthenticationLevelHandler), and it must be one
/// of the host keys. The host answers a bare 401 without calling the worker when it is not.
/// </summary>
public sealed class HostKeys(IEnumerable<string> keys)
{
    public const string Header = "x-functions-key";
    public const string Query = "code";

    private readonly byte[][] hashes = keys.Select(Hash).ToArray();

    public bool Admits(HttpRequest request, AuthLevel level)
    {
        if (level == AuthLevel.Anonymous) return true;
        // Function level takes a host key (or the function's own key, which this host does not keep). User needs an
        // App Service Authentication identity, Admin and System the master key: this host has neither, so it refuses them.
        if (level != AuthLevel.Function) return false;
        var presented = request.Headers.TryGetValue(Header, out var header) ? header.FirstOrDefault()
            : request.Query.TryGetValue(Query, out var query) ? query.FirstOrDefault()
            : null;
        if (string.IsNullOrEmpty(presented)) return false;
        var hash = Hash(presented);
        var match = false;
        foreach (var known in hashes) match |= CryptographicOperations.FixedTimeEquals(known, hash);
        return match;
    }

    // Equal-length hashes: how long the comparison takes says nothing about the key.
    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
