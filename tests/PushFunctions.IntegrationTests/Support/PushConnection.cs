using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace PushFunctions.IntegrationTests.Support;

/// <summary>One push a connection received: its target and its one argument (every client event has one).</summary>
public sealed record Pushed(string Target, JsonElement Argument);

/// <summary>
/// A browser's SignalR connection made with the real .NET client (Microsoft.AspNetCore.SignalR.Client), as client/
/// connects with @microsoft/signalr: negotiate at the app's <c>/api</c> with the session token, follow the answer to
/// the service, WebSockets. It keeps every client event it receives, so a test can wait for one or check that one
/// never came.
/// </summary>
public sealed class PushConnection : IAsyncDisposable
{
    /// <summary>The client events of DESIGN.md ("Client events").</summary>
    public static readonly string[] Targets = ["message", "room_message", "redirect_to_login", "update_online_count"];

    private readonly HubConnection _hub;
    private readonly TimeSpan _defaultWait;
    private readonly object _gate = new();
    private readonly List<Pushed> _received = [];
    private readonly List<(Func<Pushed, bool> Matches, TaskCompletionSource<Pushed> Result)> _waiters = [];

    private PushConnection(HubConnection hub, TimeSpan defaultWait)
    {
        _hub = hub;
        _defaultWait = defaultWait;
        foreach (var target in Targets)
        {
            _hub.On(target, [typeof(JsonElement)], arguments =>
            {
                OnPushed(new Pushed(target, (JsonElement)arguments[0]!));
                return Task.CompletedTask;
            });
        }
    }

    public static Task<PushConnection> ConnectAsync(string appApiUrl, string sessionToken, TimeSpan defaultWait) =>
        StartAsync(appApiUrl, sessionToken, defaultWait);

    /// <summary>Straight to the service with a client token minted earlier (no negotiate at the app).</summary>
    public static Task<PushConnection> ConnectToServiceAsync(string clientUrl, string accessToken, TimeSpan defaultWait) =>
        StartAsync(clientUrl, accessToken, defaultWait);

    private static async Task<PushConnection> StartAsync(string url, string token, TimeSpan defaultWait)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(url, options =>
            {
                options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                options.Transports = HttpTransportType.WebSockets;
            })
            .Build();
        var connection = new PushConnection(hub, defaultWait);
        try
        {
            await hub.StartAsync();
            return connection;
        }
        catch
        {
            await hub.DisposeAsync();
            throw;
        }
    }

    /// <summary>Everything received so far.</summary>
    public IReadOnlyList<Pushed> Received
    {
        get
        {
            lock (_gate) return _received.ToArray();
        }
    }

    /// <summary>What client/ does over each new connection: invokes <c>present</c> and waits for the app's answer.</summary>
    public Task SayPresentAsync() => _hub.InvokeAsync(PushFunctions.Presence.UpstreamFunctions.PresentMethod);

    /// <summary>Whether the connection is open (not closed by the service, not reconnecting).</summary>
    public bool IsConnected => _hub.State == HubConnectionState.Connected;

    /// <summary>Whether a matching push has been received already (no waiting).</summary>
    public bool HasReceived(string target, Func<Pushed, bool> predicate) =>
        Received.Any(p => p.Target == target && predicate(p));

    /// <summary>The first push to <paramref name="target"/> matching <paramref name="predicate"/>, received before or after this call.</summary>
    public async Task<Pushed> WaitForAsync(string target, Func<Pushed, bool> predicate, TimeSpan? timeout = null)
    {
        bool Matches(Pushed p) => p.Target == target && predicate(p);
        var waiter = (Matches: (Func<Pushed, bool>)Matches, Result: new TaskCompletionSource<Pushed>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
        {
            var already = _received.FirstOrDefault(Matches);
            if (already is not null) return already;
            _waiters.Add(waiter);
        }
        try
        {
            return await waiter.Result.Task.WaitAsync(timeout ?? _defaultWait);
        }
        catch (TimeoutException)
        {
            lock (_gate) _waiters.Remove(waiter);
            throw new TimeoutException($"No matching '{target}' within {timeout ?? _defaultWait} (connection {_hub.State}). " +
                                       $"Received: [{string.Join(", ", Received.Select(p => p.Target))}]");
        }
    }

    public ValueTask DisposeAsync() => _hub.DisposeAsync();

    private void OnPushed(Pushed pushed)
    {
        List<TaskCompletionSource<Pushed>> matched = [];
        lock (_gate)
        {
            _received.Add(pushed);
            matched.AddRange(_waiters.Where(w => w.Matches(pushed)).Select(w => w.Result));
            _waiters.RemoveAll(w => w.Matches(pushed));
        }
        foreach (var result in matched) result.TrySetResult(pushed);
    }
}
