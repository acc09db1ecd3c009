using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace SignalREmulator.Auth;

/// <summary>
/// A local stand-in for Microsoft Entra ID: one RSA key (named by <c>kid</c>) that signs v1 access tokens
/// (<c>iss = https://sts.windows.net/{tenant}/</c>) for the emulator's managed-identity endpoint and its upstream
/// bearer tokens, and whose public half is served as the tenant's JWKS.
/// </summary>
public sealed class TestIssuer : IDisposable
{
    /// <summary>The resource (v1 <c>aud</c>) of tokens for SignalR Service: scope <c>https://signalr.azure.com/.default</c>.</summary>
    public const string SignalRResource = "https://signalr.azure.com";

    /// <summary>Client id of the emulator's own identity: the <c>appid</c> of the upstream tokens it sends.</summary>
    public const string ServiceClientId = "5e7a1c2d-0000-4000-8000-00000000a5a5";

    /// <summary>Client id of a system-assigned identity asking without a <c>client_id</c>.</summary>
    public const string SystemAssignedClientId = "5e7a1c2d-0000-4000-8000-0000000005a1";

    public static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(1);

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly TimeProvider _clock;

    public TestIssuer(string tenantId, TimeProvider clock)
    {
        _clock = clock;
        TenantId = tenantId;
        Issuer = $"https://sts.windows.net/{tenantId}/";
        Key = new RsaSecurityKey(_rsa) { KeyId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)) };
    }

    public string TenantId { get; }

    public string Issuer { get; }

    public RsaSecurityKey Key { get; }

    /// <summary>An access token for <paramref name="resource"/> issued to the identity <paramref name="clientId"/>.</summary>
    public (string Token, DateTimeOffset ExpiresOn) CreateToken(string resource, string clientId)
    {
        var now = _clock.GetUtcNow();
        var expires = now + TokenLifetime;
        var objectId = new Guid(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(clientId)).AsSpan(0, 16)).ToString(); // stable per identity
        var token = Jwt.Create(
        [
            new("aud", resource),
            new("iss", Issuer),
            new("iat", now.ToUnixTimeSeconds()),
            new("nbf", now.ToUnixTimeSeconds()),
            new("exp", expires.ToUnixTimeSeconds()),
            new("appid", clientId),
            new("appidacr", "2"),
            new("idtyp", "app"),
            new("oid", objectId),
            new("sub", objectId),
            new("tid", TenantId),
            new("ver", "1.0"),
        ], new SigningCredentials(Key, SecurityAlgorithms.RsaSha256));
        return (token, expires);
    }

    /// <summary>The tenant's JWKS, as <c>/discovery/v2.0/keys</c> serves it.</summary>
    public byte[] KeySetJson()
    {
        var parameters = _rsa.ExportParameters(includePrivateParameters: false);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            writer.WriteStartObject();
            writer.WriteString("kty", "RSA");
            writer.WriteString("use", "sig");
            writer.WriteString("kid", Key.KeyId);
            writer.WriteString("n", Base64Url.EncodeToString(parameters.Modulus));
            writer.WriteString("e", Base64Url.EncodeToString(parameters.Exponent));
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    public void Dispose() => _rsa.Dispose();
}
