namespace PushFunctions.Security;

/// <summary>
/// A cached value that is fetched again before it expires (an Entra token, a temporary access key). Callers never
/// cause a fetch while the value is fresh; when it is due, one fetch runs and every concurrent caller shares it;
/// while it runs, callers keep getting the old value if it is still usable. After a failed fetch the next one waits
/// (1 s, 2 s, 4 s … up to 30 s), so an outage does not turn into a request per caller.
/// </summary>
public sealed class RefreshingValue<T>
{
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly Func<CancellationToken, Task<Refreshed<T>>> fetch;
    private readonly TimeProvider time;
    private readonly string what;
    private readonly Lock gate = new();
    private Refreshed<T>? current;
    private Task<Refreshed<T>>? pending;
    private int failures;
    private DateTimeOffset nextAttempt;
    private Exception? lastFailure;

    /// <param name="what">Names the value in error messages, e.g. "the Microsoft Entra token for SignalR Service".</param>
    public RefreshingValue(Func<CancellationToken, Task<Refreshed<T>>> fetch, TimeProvider time, string what)
    {
        this.fetch = fetch;
        this.time = time;
        this.what = what;
    }

    /// <summary>The value: cached while fresh; a due refresh runs once for all callers.</summary>
    public async ValueTask<T> GetAsync(CancellationToken cancellationToken = default) =>
        (await GetEntryAsync(waitForRefresh: false, cancellationToken)).Value;

    /// <summary>
    /// The entry with its times. With <paramref name="waitForRefresh"/>, a due refresh is awaited instead of
    /// returning the old (still usable) value: for callers that must hand the new value on (Redis re-AUTH).
    /// </summary>
    public async ValueTask<Refreshed<T>> GetEntryAsync(bool waitForRefresh, CancellationToken cancellationToken = default)
    {
        Task<Refreshed<T>> task;
        lock (gate)
        {
            var now = time.GetUtcNow();
            if (current is { } fresh && now < fresh.RefreshAt) return fresh;
            var usable = current is { } old && now < old.UsableUntil;
            if (pending is null)
            {
                if (now < nextAttempt)
                {
                    if (usable && !waitForRefresh) return current!.Value;
                    throw new RefreshFailedException(what, lastFailure!);
                }
                pending = RunAsync();
                // A refresh that fails while callers still use the old value is reported to the next caller, not lost.
                pending.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            }
            if (usable && !waitForRefresh) return current!.Value;
            task = pending;
        }
        return await task.WaitAsync(cancellationToken);
    }

    private async Task<Refreshed<T>> RunAsync()
    {
        await Task.Yield(); // the caller stores the task under the lock before this continues
        try
        {
            using var timeout = new CancellationTokenSource(FetchTimeout, time);
            var result = await fetch(timeout.Token);
            lock (gate)
            {
                current = result;
                pending = null;
                failures = 0;
                lastFailure = null;
            }
            return result;
        }
        catch (Exception e)
        {
            lock (gate)
            {
                pending = null;
                failures++;
                lastFailure = e;
                var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(failures - 1, 10))));
                nextAttempt = time.GetUtcNow() + backoff;
            }
            throw new RefreshFailedException(what, e);
        }
    }
}
