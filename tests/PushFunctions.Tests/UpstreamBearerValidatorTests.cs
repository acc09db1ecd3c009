using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PushFunctions.Configuration;
using PushFunctions.Security;
using PushFunctions.Tests.Support;

namespace PushFunctions.Tests;

public sealed class UpstreamBearerValidatorTests
{
    private const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private const string Audience = "api://pushfunctions-upstream";
    private const string SignalRClientId = "5b3e4c1a-0000-4000-8000-000000000001";

    private readonly ManualTimeProvider time = new(DateTimeOffset.UtcNow);
    // RSA key generation is slow: a few keys for the whole class.
    private static readonly RsaSecurityKey SharedKey = new(RSA.Create(2048)) { KeyId = "key-1" };
    private static readonly RSA OtherRsa = RSA.Create(2048);
    private static readonly RSA ThirdRsa = RSA.Create(2048);
    private readonly RsaSecurityKey key = SharedKey;
    private readonly LocalKeys keys;
    private readonly UpstreamBearerValidator validator;

    public UpstreamBearerValidatorTests()
    {
        keys = new LocalKeys([key]);
        validator = new UpstreamBearerValidator(Audience, Tenant, SignalRClientId, keys, time);
    }

    private string Token(
        string? audience = Audience, string? issuer = null, string? appid = SignalRClientId, string appClaim = "appid",
        TimeSpan? expiresIn = null, SecurityKey? signWith = null, string algorithm = SecurityAlgorithms.RsaSha256)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object> { ["oid"] = "some-object-id", ["tid"] = Tenant };
        if (appid is not null) claims[appClaim] = appid;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Audience = audience,
            Issuer = issuer ?? $"https://sts.windows.net/{Tenant}/",
            Claims = claims,
            IssuedAt = now.AddMinutes(-1),
            NotBefore = now.AddMinutes(-1),
            Expires = now + (expiresIn ?? TimeSpan.FromHours(1)),
            SigningCredentials = new SigningCredentials(signWith ?? key, algorithm),
        });
    }

    private Task<UpstreamBearerResult> Validate(string token) => validator.ValidateAsync("Bearer " + token);

    [Fact]
    public async Task Accepts_a_v1_token_from_SignalR_identity()
    {
        var result = await Validate(Token());
        Assert.True(result.IsValid, result.Failure);
    }

    [Fact]
    public async Task Accepts_a_v2_token_with_azp()
    {
        var result = await Validate(Token(issuer: $"https://login.microsoftonline.com/{Tenant}/v2.0", appClaim: "azp"));
        Assert.True(result.IsValid, result.Failure);
    }

    [Fact]
    public async Task Rejects_a_wrong_audience()
    {
        var result = await Validate(Token(audience: "https://management.azure.com/"));
        Assert.False(result.IsValid);
        Assert.Contains("audience", result.Failure);
    }

    [Theory]
    [InlineData("https://sts.windows.net/00000000-0000-0000-0000-000000000000/")]
    [InlineData("https://evil.example/")]
    public async Task Rejects_a_wrong_issuer(string issuer)
    {
        var result = await Validate(Token(issuer: issuer));
        Assert.False(result.IsValid);
        Assert.Contains("issuer", result.Failure);
    }

    [Fact]
    public async Task Rejects_another_app()
    {
        var result = await Validate(Token(appid: "11111111-2222-3333-4444-555555555555"));
        Assert.False(result.IsValid);
        Assert.Contains("appid", result.Failure);
        Assert.False((await Validate(Token(appid: null))).IsValid);
    }

    [Fact]
    public async Task Rejects_an_expired_token()
    {
        var token = Token(expiresIn: TimeSpan.FromMinutes(10));
        Assert.True((await Validate(token)).IsValid);
        time.Advance(TimeSpan.FromMinutes(16)); // past exp + 5 minutes of skew
        var result = await Validate(token);
        Assert.False(result.IsValid);
        Assert.Contains("expired", result.Failure);
    }

    [Fact]
    public async Task Rejects_a_bad_signature()
    {
        var other = new RsaSecurityKey(OtherRsa) { KeyId = "key-1" }; // same kid, other key
        var result = await Validate(Token(signWith: other));
        Assert.False(result.IsValid);
        Assert.Contains("signature", result.Failure);

        var tampered = Token();
        var parts = tampered.Split('.');
        var forged = parts[0] + "." + System.Buffers.Text.Base64Url.EncodeToString(
            System.Text.Encoding.UTF8.GetBytes($$"""{"aud":"{{Audience}}","iss":"https://sts.windows.net/{{Tenant}}/","appid":"{{SignalRClientId}}","exp":{{time.GetUtcNow().AddHours(5).ToUnixTimeSeconds()}}}""")) + "." + parts[2];
        Assert.False((await Validate(forged)).IsValid);
    }

    [Fact]
    public async Task Rejects_HS256_and_unsigned_tokens()
    {
        var hmac = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "key-1" };
        Assert.False((await Validate(Token(signWith: hmac, algorithm: SecurityAlgorithms.HmacSha256))).IsValid);

        var unsigned = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Audience = Audience,
            Issuer = $"https://sts.windows.net/{Tenant}/",
            Claims = new Dictionary<string, object> { ["appid"] = SignalRClientId },
        });
        Assert.False((await Validate(unsigned)).IsValid);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Basic abc")]
    [InlineData("Bearer not-a-jwt")]
    public async Task Rejects_missing_or_malformed_headers(string? header)
    {
        var result = await validator.ValidateAsync(header);
        Assert.False(result.IsValid);
        Assert.False(string.IsNullOrEmpty(result.Failure));
    }

    [Fact]
    public async Task An_unknown_kid_refetches_the_keys()
    {
        var rotated = new RsaSecurityKey(OtherRsa) { KeyId = "key-2" };
        keys.Published = [key, rotated]; // Entra rotated; the cache still holds the old list

        Assert.True((await Validate(Token(signWith: rotated))).IsValid);
        Assert.Equal(1, keys.Refreshes);
        Assert.True((await Validate(Token())).IsValid);
        Assert.Equal(1, keys.Refreshes);

        var stranger = new RsaSecurityKey(ThirdRsa) { KeyId = "key-9" };
        Assert.False((await Validate(Token(signWith: stranger))).IsValid);
        Assert.Equal(2, keys.Refreshes);
    }

    [Fact]
    public async Task Entra_keys_are_fetched_from_the_tenant_and_cached()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.Rsa.ExportParameters(false)) { KeyId = "key-1" });
        var jwks = System.Text.Json.JsonSerializer.Serialize(new { keys = new[] { new { kty = "RSA", use = "sig", kid = jwk.Kid, n = jwk.N, e = jwk.E } } });
        var handler = new StubHandler(_ => StubHandler.Json(jwks));
        var entraKeys = new EntraSigningKeys(Tenant, time, handler);
        var real = new UpstreamBearerValidator(Audience, Tenant, SignalRClientId, entraKeys, time);

        for (var i = 0; i < 5; i++) Assert.True((await real.ValidateAsync("Bearer " + Token())).IsValid);

        var request = Assert.Single(handler.Requests);
        Assert.Equal($"https://login.microsoftonline.com/{Tenant}/discovery/v2.0/keys", request.RequestUri!.ToString());

        // Unknown kid: one refetch, then none for 5 minutes however many such tokens come.
        var stranger = new RsaSecurityKey(ThirdRsa) { KeyId = "key-9" };
        for (var i = 0; i < 5; i++) Assert.False((await real.ValidateAsync("Bearer " + Token(signWith: stranger))).IsValid);
        Assert.Single(handler.Requests); // fetched < 5 minutes ago
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.False((await real.ValidateAsync("Bearer " + Token(signWith: stranger))).IsValid);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task Entra_keys_come_from_SignalRUpstreamAuthority_when_it_is_set()
    {
        var handler = new StubHandler(_ => StubHandler.Json("""{"keys":[]}"""));
        var settings = Core.TestSettings.Read<SignalROptions>(new()
        {
            [SettingNames.UpstreamAudience] = Audience,
            [SettingNames.UpstreamTenantId] = Tenant,
            [SettingNames.UpstreamClientId] = SignalRClientId,
            [SettingNames.UpstreamAuthority] = "http://127.0.0.1:9999/_emulator/entra/",
        });
        var validator = UpstreamBearerValidator.Create(settings, time, handler)!;

        Assert.False((await validator.ValidateAsync("Bearer " + Token())).IsValid);
        Assert.Equal($"http://127.0.0.1:9999/_emulator/entra/{Tenant}/discovery/v2.0/keys", handler.Requests[0].RequestUri!.ToString());
        Assert.Equal(new Uri("https://login.microsoftonline.com/"), Core.TestSettings.Read<SignalROptions>([]).UpstreamAuthority);
        var failure = Assert.Throws<InvalidSettingsException>(() => Core.TestSettings.Validate(Core.TestSettings.Configuration(new() { [SettingNames.UpstreamAuthority] = "not a url" })));
        Assert.Contains(failure.Problems, p => p.Contains(SettingNames.UpstreamAuthority));
    }

    [Fact]
    public void Settings_create_it_only_with_an_audience()
    {
        Assert.Null(UpstreamBearerValidator.Create(Core.TestSettings.Read<SignalROptions>([]), time));
        Assert.NotNull(UpstreamBearerValidator.Create(Core.TestSettings.Read<SignalROptions>(new()
        {
            [SettingNames.UpstreamAudience] = Audience,
            [SettingNames.UpstreamTenantId] = Tenant,
            [SettingNames.UpstreamClientId] = SignalRClientId,
        }), time));
    }

    [Fact]
    public void Settings_require_tenant_and_client_id_with_an_audience()
    {
        var failure = Assert.Throws<InvalidSettingsException>(() => Core.TestSettings.Validate(Core.TestSettings.Configuration(new()
        {
            [SettingNames.UpstreamAudience] = Audience,
        })));
        Assert.Contains(failure.Problems, p => p.Contains(SettingNames.UpstreamTenantId));
        Assert.Contains(failure.Problems, p => p.Contains(SettingNames.UpstreamClientId));

        Dictionary<string, string?> values = new()
        {
            [SettingNames.UpstreamAudience] = Audience,
            [SettingNames.UpstreamTenantId] = Tenant,
            [SettingNames.UpstreamClientId] = SignalRClientId,
            [SettingNames.RedisEntraClientId] = " redis-client ",
        };
        var settings = Core.TestSettings.Read<SignalROptions>(values);
        Assert.Equal(Audience, settings.SignalRUpstreamAudience);
        Assert.Equal(Tenant, settings.SignalRUpstreamTenantId);
        Assert.Equal(SignalRClientId, settings.SignalRUpstreamClientId);
        Assert.Equal("redis-client", Core.TestSettings.Read<RedisOptions>(values).RedisEntraClientId);
        Assert.Null(Core.TestSettings.Read<RedisOptions>([]).RedisEntraClientId);
    }

    /// <summary>Keys as a cache would hold them: <see cref="Published"/> is seen only on a refresh.</summary>
    private sealed class LocalKeys(IReadOnlyList<SecurityKey> keys) : IUpstreamSigningKeys
    {
        private IReadOnlyList<SecurityKey> cached = keys;
        public IReadOnlyList<SecurityKey> Published { get; set; } = keys;
        public int Refreshes { get; private set; }

        public ValueTask<IReadOnlyList<SecurityKey>> GetKeysAsync(bool refresh, CancellationToken cancellationToken)
        {
            if (refresh)
            {
                Refreshes++;
                cached = Published;
            }
            return ValueTask.FromResult(cached);
        }
    }
}
