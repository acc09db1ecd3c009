using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PushFunctions.Configuration;
using PushFunctions.Security;
using PushFunctions.Sessions;
using PushFunctions.SignalR;

namespace PushFunctions.Tests.Core;

public class JwtTokenTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void Token_is_HS256_over_the_utf8_access_key_with_aud_exp_and_claims()
    {
        var token = JwtToken.Create("secret-key", "http://host/client/?hub=push", Now, TimeSpan.FromMinutes(5),
            [new("asrs.s.uid", "u1"), new("pf.sid", "s1")], keyId: "kid1");

        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        var expected = Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes("secret-key"), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1])));
        Assert.Equal(expected, parts[2]);

        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        Assert.Equal("HS256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("kid1", header.RootElement.GetProperty("kid").GetString());

        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        var claims = payload.RootElement;
        Assert.Equal("http://host/client/?hub=push", claims.GetProperty("aud").GetString());
        Assert.Equal(Now.AddMinutes(5).ToUnixTimeSeconds(), claims.GetProperty("exp").GetInt64());
        Assert.Equal("u1", claims.GetProperty("asrs.s.uid").GetString());
        Assert.Equal("s1", claims.GetProperty("pf.sid").GetString());
    }
}

public class UpstreamSignatureTests
{
    private const string EmulatorKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

    [Fact]
    public void Matches_the_spec_test_vector()
    {
        Assert.Equal("sha256=8DE7281E588E23B0A30A7180FFA240257B8176E983004C240C9F3F7A7233C993", UpstreamSignature.Compute(EmulatorKey, "conn1"));
    }

    [Theory]
    [InlineData("sha256=8DE7281E588E23B0A30A7180FFA240257B8176E983004C240C9F3F7A7233C993")]
    [InlineData("sha256=8de7281e588e23b0a30a7180ffa240257b8176e983004c240c9f3f7a7233c993")]
    [InlineData("sha256=0000,sha256=8DE7281E588E23B0A30A7180FFA240257B8176E983004C240C9F3F7A7233C993")]
    [InlineData("sha256=0000, sha256=8DE7281E588E23B0A30A7180FFA240257B8176E983004C240C9F3F7A7233C993")]
    public void Accepts_any_matching_value_in_any_hex_case(string header) =>
        Assert.True(UpstreamSignature.IsValid(header, "conn1", ["other-key", EmulatorKey]));

    [Theory]
    [InlineData("sha256=8DE7281E588E23B0A30A7180FFA240257B8176E983004C240C9F3F7A7233C993", "conn2")]
    [InlineData("sha256=", "conn1")]
    [InlineData("", "conn1")]
    [InlineData(null, "conn1")]
    public void Rejects_signatures_that_do_not_match(string? header, string connectionId) =>
        Assert.False(UpstreamSignature.IsValid(header, connectionId, [EmulatorKey]));
}

public class SessionTokenTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private const string KeyA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string KeyB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    private static SessionTokens Tokens(params string[] keys) => new(TestSettings.Keys(keys));

    [Fact]
    public void A_token_verifies_to_its_session_until_it_expires()
    {
        var tokens = Tokens(KeyA);
        var token = tokens.Create("sess1", Now.AddHours(1));
        Assert.Equal("sess1", tokens.Verify(token, Now));
        Assert.Null(tokens.Verify(token, Now.AddHours(1)));
    }

    [Fact]
    public void Tampered_or_foreign_tokens_do_not_verify()
    {
        var token = Tokens(KeyA).Create("sess1", Now.AddHours(1));
        Assert.Null(Tokens(KeyB).Verify(token, Now));
        Assert.Null(Tokens(KeyA).Verify(token.Replace("sess1", "sess2"), Now));
        Assert.Null(Tokens(KeyA).Verify(token.Replace(Now.AddHours(1).ToUnixTimeSeconds().ToString(), Now.AddDays(9).ToUnixTimeSeconds().ToString()), Now));
        Assert.Null(Tokens(KeyA).Verify("not-a-token", Now));
        Assert.Null(Tokens(KeyA).Verify("pf1.a.b.c.d", Now));
    }

    [Fact]
    public void Rotation_the_first_key_signs_and_every_key_verifies()
    {
        var oldToken = Tokens(KeyA).Create("sess1", Now.AddHours(1));
        var rotated = Tokens(KeyB, KeyA);
        Assert.Equal("sess1", rotated.Verify(oldToken, Now));
        Assert.Null(Tokens(KeyA).Verify(rotated.Create("sess2", Now.AddHours(1)), Now));
    }
}
