using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Moq;
using PushFunctions.SignalR;
using PushFunctions.Tests.Support;

namespace PushFunctions.Tests;

public sealed class EntraTokenSourceTests
{
    private readonly ManualTimeProvider time = new();
    private readonly Mock<TokenCredential> credential = new();
    private readonly List<string> scopes = [];
    private int entraIssued;
    private int keysIssued;
    private HttpStatusCode keyStatus = HttpStatusCode.OK;
    private readonly StubHandler handler;

    public EntraTokenSourceTests()
    {
        credential
            .Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .Returns((TokenRequestContext context, CancellationToken _) =>
            {
                lock (scopes) scopes.AddRange(context.Scopes);
                return ValueTask.FromResult(new AccessToken($"entra-{Interlocked.Increment(ref entraIssued)}", time.GetUtcNow().AddHours(1)));
            });
        handler = new StubHandler(_ =>
        {
            if (keyStatus != HttpStatusCode.OK) return new HttpResponseMessage(keyStatus);
            var n = Interlocked.Increment(ref keysIssued);
            return StubHandler.Json($$"""{"KeyId":"kid-{{n}}","AccessKey":"temporary-key-{{n}}"}""");
        });
    }

    private ISignalRTokenSource Source(string connectionString = "Endpoint=https://demo.service.signalr.net;AuthType=azure.msi;ClientId=abc;Version=1.0;") =>
        SignalRTokenSources.Create(SignalRConnectionString.Parse(connectionString), time, handler, credential.Object);

    [Fact]
    public void Factory_picks_access_keys_or_Entra()
    {
        Assert.IsType<AccessKeyTokenSource>(SignalRTokenSources.Create(
            SignalRConnectionString.Parse("Endpoint=http://127.0.0.1;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;"), time));
        Assert.IsType<EntraTokenSource>(Source());
        // Without an injected credential it builds a ManagedIdentityCredential; nothing is fetched yet.
        Assert.IsType<EntraTokenSource>(SignalRTokenSources.Create(
            SignalRConnectionString.Parse("Endpoint=https://demo.service.signalr.net;AuthType=azure.msi;ClientId=abc;Version=1.0;"), time));
    }

    [Theory]
    [InlineData("AuthType=azure", typeof(Azure.Identity.DefaultAzureCredential))]
    [InlineData("AuthType=azure;ClientId=abc", typeof(Azure.Identity.DefaultAzureCredential))]
    [InlineData("AuthType=azure.msi", typeof(Azure.Identity.ManagedIdentityCredential))]
    [InlineData("AuthType=azure.msi;ClientId=abc", typeof(Azure.Identity.ManagedIdentityCredential))]
    public void AuthType_picks_the_credential_as_the_SDK_parses_it(string auth, Type expected)
    {
        var connection = SignalRConnectionString.Parse($"Endpoint=https://demo.service.signalr.net;{auth};Version=1.0;");
        Assert.IsType(expected, SignalRTokenSources.Credential(connection));
    }

    [Fact]
    public async Task Rest_calls_use_a_cached_Entra_token_for_the_SignalR_scope()
    {
        var source = Source();
        for (var i = 0; i < 50; i++)
            Assert.Equal("entra-1", await source.GetRestTokenAsync($"https://demo.service.signalr.net/api/hubs/push/{i}", default));

        Assert.Equal(["https://signalr.azure.com/.default"], scopes);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task Client_tokens_are_signed_with_the_temporary_key_and_carry_its_kid()
    {
        var source = Source("Endpoint=https://demo.service.signalr.net;ServerEndpoint=https://internal.example:8443;AuthType=azure.msi;ClientId=abc;Version=1.0;");
        var audience = "https://demo.service.signalr.net/client/?hub=push";

        var token = await source.GetClientTokenAsync(audience, [new("asrs.s.uid", "u1")], TimeSpan.FromHours(1), default);

        var request = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.Equal("https://internal.example:8443/api/v1/auth/accessKey", request.RequestUri!.ToString());
        Assert.Equal("Bearer", request.Headers.Authorization!.Scheme);
        Assert.Equal("entra-1", request.Headers.Authorization.Parameter);

        var header = FakeJwt.Part(token, 0);
        Assert.Equal("kid-1", header.GetProperty("kid").GetString());
        Assert.Equal("HS256", header.GetProperty("alg").GetString());
        var payload = FakeJwt.Part(token, 1);
        Assert.Equal(audience, payload.GetProperty("aud").GetString());
        Assert.Equal("u1", payload.GetProperty("asrs.s.uid").GetString());

        var parts = token.Split('.');
        var expected = System.Buffers.Text.Base64Url.EncodeToString(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes("temporary-key-1"), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1])));
        Assert.Equal(expected, parts[2]);
    }

    [Fact]
    public async Task The_key_is_fetched_once_and_again_after_55_minutes()
    {
        var source = Source();
        for (var i = 0; i < 20; i++) await source.GetClientTokenAsync("aud", [], TimeSpan.FromHours(1), default);
        Assert.Single(handler.Requests);

        time.Advance(TimeSpan.FromMinutes(54));
        Assert.Equal("kid-1", Kid(await source.GetClientTokenAsync("aud", [], TimeSpan.FromHours(1), default)));
        Assert.Single(handler.Requests);

        time.Advance(TimeSpan.FromMinutes(2)); // 56 minutes: refresh starts, the old key serves meanwhile
        await source.GetClientTokenAsync("aud", [], TimeSpan.FromHours(1), default);
        await EntraTokensTests.WaitUntil(() => handler.Requests.Count == 2);
        await EntraTokensTests.WaitUntil(() => Kid(source.GetClientTokenAsync("aud", [], TimeSpan.FromHours(1), default).AsTask().Result) == "kid-2");
    }

    [Fact]
    public async Task A_failed_key_fetch_is_retried_after_a_pause()
    {
        var source = Source();
        keyStatus = HttpStatusCode.Forbidden;
        var failure = await Assert.ThrowsAsync<SignalRException>(() => source.GetClientTokenAsync("aud", [], TimeSpan.FromHours(1), default).AsTask());
        Assert.Contains("SignalR Service Owner", failure.Message);
        await Assert.ThrowsAsync<SignalRException>(() => source.GetClientTokenAsync("aud", [], TimeSpan.FromHours(1), default).AsTask());
        Assert.Single(handler.Requests); // no request per call while backing off

        keyStatus = HttpStatusCode.OK;
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("kid-1", Kid(await source.GetClientTokenAsync("aud", [], TimeSpan.FromHours(1), default)));
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task The_old_key_serves_while_a_refresh_fails()
    {
        var source = Source();
        await source.GetClientTokenAsync("aud", [], TimeSpan.FromHours(1), default);
        keyStatus = HttpStatusCode.ServiceUnavailable;
        time.Advance(TimeSpan.FromMinutes(60));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("kid-1", Kid(await source.GetClientTokenAsync("aud", [], TimeSpan.FromHours(1), default)));
            await Task.Delay(20);
        }
        time.Advance(TimeSpan.FromMinutes(30)); // 90 minutes: the old key is no longer used
        await EntraTokensTests.WaitUntil(() =>
            source.GetClientTokenAsync("aud", [], TimeSpan.FromHours(1), default).AsTask()
                .ContinueWith(t => t.IsFaulted && t.Exception!.InnerException is SignalRException).Result);
    }

    [Fact]
    public async Task A_malformed_key_response_is_a_SignalR_failure()
    {
        var source = SignalRTokenSources.Create(
            SignalRConnectionString.Parse("Endpoint=https://demo.service.signalr.net;AuthType=azure.msi;Version=1.0;"), time,
            new StubHandler(_ => StubHandler.Json("""{"KeyId":"k"}""")), credential.Object);
        var failure = await Assert.ThrowsAsync<SignalRException>(() => source.GetClientTokenAsync("aud", [], TimeSpan.FromHours(1), default).AsTask());
        Assert.Contains("AccessKey", failure.Message);
    }

    private static string? Kid(string token) => FakeJwt.Part(token, 0).TryGetProperty("kid", out var kid) ? kid.GetString() : null;
}
