using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using PushFunctions.Security;

namespace PushFunctions.SignalR;

/// <summary>
/// Microsoft Entra auth for SignalR Service (spec §2.3), for <c>AuthType=azure.msi</c> connection strings:
/// REST calls carry an Entra token for <c>https://signalr.azure.com/.default</c>; client tokens for negotiate are
/// HS256 JWTs signed with a temporary access key from <c>GET {endpoint}/api/v1/auth/accessKey</c>, with
/// <c>kid</c> = its KeyId. The key is fetched again every 55 minutes (it lives 90) and kept in use while a
/// refresh fails, up to 85 minutes. Both are cached: no call here costs a request unless a refresh is due.
/// </summary>
public sealed class EntraTokenSource : ISignalRTokenSource
{
    public const string Scope = "https://signalr.azure.com/.default";
    public static readonly TimeSpan AccessKeyRefreshInterval = TimeSpan.FromMinutes(55);
    public static readonly TimeSpan AccessKeyUsableFor = TimeSpan.FromMinutes(85);

    private readonly EntraTokens entra;
    private readonly HttpClient http;
    private readonly Uri accessKeyUrl;
    private readonly TimeProvider time;
    private readonly RefreshingValue<TemporaryAccessKey> accessKey;

    public EntraTokenSource(Uri restEndpoint, EntraTokens entra, HttpClient http, TimeProvider time)
    {
        this.entra = entra;
        this.http = http;
        this.time = time;
        accessKeyUrl = new Uri($"{restEndpoint.GetLeftPart(UriPartial.Authority)}/api/v1/auth/accessKey");
        accessKey = new RefreshingValue<TemporaryAccessKey>(FetchAccessKeyAsync, time, $"a temporary access key from {accessKeyUrl}");
    }

    public async ValueTask<string> GetRestTokenAsync(string audience, CancellationToken cancellationToken)
    {
        try
        {
            return await entra.GetTokenAsync(cancellationToken);
        }
        catch (RefreshFailedException e)
        {
            throw new SignalRException(e.Message, e);
        }
    }

    public async ValueTask<string> GetClientTokenAsync(
        string audience, IReadOnlyList<KeyValuePair<string, string>> claims, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        TemporaryAccessKey key;
        try
        {
            key = await accessKey.GetAsync(cancellationToken);
        }
        catch (RefreshFailedException e)
        {
            throw new SignalRException(e.Message, e);
        }
        return JwtToken.Create(key.Credentials, audience, time.GetUtcNow(), lifetime, claims);
    }

    private async Task<Refreshed<TemporaryAccessKey>> FetchAccessKeyAsync(CancellationToken cancellationToken)
    {
        var bearer = await entra.GetTokenAsync(cancellationToken);
        var fetchedAt = time.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Get, accessKeyUrl);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new HttpRequestException(
                $"SignalR Service answered {(int)response.StatusCode}: the managed identity needs the 'SignalR Service Owner' role (or 'SignalR App Server') on the SignalR resource.",
                null, response.StatusCode);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new HttpRequestException($"SignalR Service answered {(int)response.StatusCode}.", null, response.StatusCode);

        var key = Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        return new Refreshed<TemporaryAccessKey>(key, fetchedAt + AccessKeyRefreshInterval, fetchedAt + AccessKeyUsableFor);
    }

    private static TemporaryAccessKey Parse(byte[] body)
    {
        string? keyId = null, value = null;
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in json.RootElement.EnumerateObject())
                {
                    if (property.Value.ValueKind != JsonValueKind.String) continue;
                    if (property.NameEquals("KeyId") || property.Name.Equals("keyId", StringComparison.OrdinalIgnoreCase)) keyId = property.Value.GetString();
                    else if (property.Name.Equals("AccessKey", StringComparison.OrdinalIgnoreCase)) value = property.Value.GetString();
                }
            }
        }
        catch (JsonException e)
        {
            throw new FormatException("The accessKey response is not JSON.", e);
        }
        if (string.IsNullOrEmpty(keyId) || string.IsNullOrEmpty(value))
            throw new FormatException("The accessKey response lacks a string 'KeyId' or 'AccessKey'.");
        return new TemporaryAccessKey(keyId, value);
    }

    private sealed record TemporaryAccessKey(string KeyId, string AccessKey)
    {
        /// <summary>Signs client tokens with this key and names it in <c>kid</c>; made once per key.</summary>
        public Microsoft.IdentityModel.Tokens.SigningCredentials Credentials { get; } = JwtToken.Credentials(AccessKey, KeyId);

        public override string ToString() => $"access key {KeyId}"; // never the key itself
    }
}
