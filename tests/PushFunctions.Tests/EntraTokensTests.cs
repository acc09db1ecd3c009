using Azure.Core;
using Moq;
using PushFunctions.Security;
using PushFunctions.Tests.Support;

namespace PushFunctions.Tests;

public sealed class EntraTokensTests
{
    private readonly ManualTimeProvider time = new();
    private readonly Mock<TokenCredential> credential = new();
    private readonly List<string[]> scopesAsked = [];
    private int issued;

    public EntraTokensTests()
    {
        credential
            .Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .Returns((TokenRequestContext context, CancellationToken _) =>
            {
                lock (scopesAsked) scopesAsked.Add(context.Scopes);
                var n = Interlocked.Increment(ref issued);
                return ValueTask.FromResult(new AccessToken($"token-{n}", time.GetUtcNow().AddHours(1)));
            });
    }

    private EntraTokens Tokens(string scope = "https://example.azure.com/.default") => new(credential.Object, scope, time, "a test");

    [Fact]
    public async Task Asks_for_the_given_scope_once_and_caches()
    {
        var tokens = Tokens("https://signalr.azure.com/.default");

        Assert.Equal("token-1", await tokens.GetTokenAsync());
        time.Advance(TimeSpan.FromMinutes(50));
        Assert.Equal("token-1", await tokens.GetTokenAsync());

        var scopes = Assert.Single(scopesAsked);
        Assert.Equal(["https://signalr.azure.com/.default"], scopes);
    }

    [Fact]
    public async Task Refreshes_five_minutes_before_expiry_and_keeps_the_old_token_while_it_runs()
    {
        var tokens = Tokens();
        Assert.Equal("token-1", await tokens.GetTokenAsync());

        time.Advance(TimeSpan.FromMinutes(56)); // 4 minutes left: due, still usable
        var during = await tokens.GetTokenAsync(); // starts the refresh, does not wait for it
        Assert.Equal("token-1", during);
        await WaitUntil(() => Volatile.Read(ref issued) == 2);
        Assert.Equal("token-2", await Eventually(tokens, "token-2"));
        Assert.Equal(2, scopesAsked.Count);
    }

    [Fact]
    public async Task An_expired_token_is_never_returned()
    {
        var tokens = Tokens();
        await tokens.GetTokenAsync();
        time.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal("token-2", await tokens.GetTokenAsync());
    }

    [Fact]
    public async Task Honours_RefreshOn()
    {
        credential
            .Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .Returns(() =>
            {
                var n = Interlocked.Increment(ref issued);
                var now = time.GetUtcNow();
                return ValueTask.FromResult(new AccessToken($"token-{n}", now.AddHours(24), now.AddHours(12)));
            });
        var tokens = Tokens();
        await tokens.GetTokenAsync();
        time.Advance(TimeSpan.FromHours(11));
        var entry = await tokens.GetEntryAsync(waitForRefresh: true);
        Assert.Equal("token-1", entry.Value.Token);
        time.Advance(TimeSpan.FromHours(1));
        entry = await tokens.GetEntryAsync(waitForRefresh: true);
        Assert.Equal("token-2", entry.Value.Token);
    }

    [Fact]
    public async Task Concurrent_callers_share_one_request()
    {
        var release = new TaskCompletionSource();
        credential
            .Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .Returns(async () =>
            {
                Interlocked.Increment(ref issued);
                await release.Task;
                return new AccessToken("shared", time.GetUtcNow().AddHours(1));
            });
        var tokens = Tokens();

        var callers = Enumerable.Range(0, 20).Select(_ => tokens.GetTokenAsync().AsTask()).ToArray();
        await WaitUntil(() => Volatile.Read(ref issued) == 1);
        release.SetResult();

        Assert.All(await Task.WhenAll(callers), t => Assert.Equal("shared", t));
        Assert.Equal(1, issued);
    }

    [Fact]
    public async Task A_failure_is_reported_and_not_retried_on_every_call()
    {
        var fail = true;
        credential
            .Setup(c => c.GetTokenAsync(It.IsAny<TokenRequestContext>(), It.IsAny<CancellationToken>()))
            .Returns(() =>
            {
                Interlocked.Increment(ref issued);
                return fail
                    ? ValueTask.FromException<AccessToken>(new InvalidOperationException("identity down"))
                    : ValueTask.FromResult(new AccessToken("ok", time.GetUtcNow().AddHours(1)));
            });
        var tokens = Tokens();

        var first = await Assert.ThrowsAsync<RefreshFailedException>(() => tokens.GetTokenAsync().AsTask());
        Assert.Contains("identity down", first.Message);
        for (var i = 0; i < 10; i++) await Assert.ThrowsAsync<RefreshFailedException>(() => tokens.GetTokenAsync().AsTask());
        Assert.Equal(1, issued); // backing off

        fail = false;
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("ok", await tokens.GetTokenAsync());
        Assert.Equal(2, issued);
    }

    [Fact]
    public void Reads_the_oid_claim()
    {
        Assert.Equal("0b7c", EntraTokens.ReadClaim(FakeJwt.With(new { oid = "0b7c", aud = "x" }), "oid"));
        Assert.Null(EntraTokens.ReadClaim("not a jwt", "oid"));
        Assert.Null(EntraTokens.ReadClaim(FakeJwt.With(new { aud = "x" }), "oid"));
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }

    private static async Task<string> Eventually(EntraTokens tokens, string expected)
    {
        var value = "";
        for (var i = 0; i < 200 && (value = await tokens.GetTokenAsync()) != expected; i++) await Task.Delay(10);
        return value;
    }
}
