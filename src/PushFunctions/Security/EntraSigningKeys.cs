using Microsoft.IdentityModel.Tokens;
using PushFunctions.Configuration;

namespace PushFunctions.Security;

/// <summary>
/// The tenant's Entra signing keys from <c>https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys</c> (or the
/// <c>SignalRUpstreamAuthority</c> given)
/// (they sign v1 and v2 tokens alike), cached for 24 hours and fetched again on an unknown <c>kid</c> at most
/// once every 5 minutes; concurrent callers share one fetch. A failed fetch is retried after 30 seconds, and the
/// last good keys stay in use meanwhile.
/// </summary>
public sealed class EntraSigningKeys : IUpstreamSigningKeys
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromHours(24);
    private static readonly TimeSpan MinRefetch = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RetryFailedAfter = TimeSpan.FromSeconds(30);

    private readonly HttpClient http;
    private readonly Uri url;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private Task<IReadOnlyList<SecurityKey>>? fetch;
    private DateTimeOffset fetchedAt;
    private IReadOnlyList<SecurityKey>? lastGood;

    public EntraSigningKeys(string tenantId, TimeProvider time, HttpMessageHandler? handler = null, Uri? authority = null)
    {
        this.time = time;
        var host = (authority ?? new SignalROptions().UpstreamAuthority).AbsoluteUri.TrimEnd('/');
        url = new Uri($"{host}/{Uri.EscapeDataString(tenantId)}/discovery/v2.0/keys");
        http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: handler is null) { Timeout = TimeSpan.FromSeconds(15) };
    }

    public async ValueTask<IReadOnlyList<SecurityKey>> GetKeysAsync(bool refresh, CancellationToken cancellationToken)
    {
        Task<IReadOnlyList<SecurityKey>> task;
        lock (gate)
        {
            var now = time.GetUtcNow();
            var age = now - fetchedAt;
            var due = fetch is null
                || age >= (fetch.IsFaulted ? RetryFailedAfter : CacheFor)
                || (refresh && age >= MinRefetch);
            if (due && (fetch is null || fetch.IsCompleted))
            {
                fetchedAt = now;
                fetch = FetchAsync();
                fetch.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            }
            task = fetch!;
        }
        try
        {
            var keys = await task.WaitAsync(cancellationToken);
            lastGood = keys;
            return keys;
        }
        catch (RefreshFailedException) when (lastGood is { } good)
        {
            return good;
        }
    }

    private async Task<IReadOnlyList<SecurityKey>> FetchAsync()
    {
        try
        {
            var json = await http.GetStringAsync(url);
            var keys = new JsonWebKeySet(json).GetSigningKeys();
            if (keys.Count == 0) throw new InvalidOperationException("it lists no signing keys");
            return [.. keys];
        }
        catch (Exception e)
        {
            throw new RefreshFailedException($"the Microsoft Entra signing keys from {url}", e);
        }
    }
}
