using PushFunctions.Security;

namespace Deployment.Tests;

/// <summary>How the Functions host guards a route before the app sees it (the HttpTrigger's authorization level).</summary>
public enum HostAuth
{
    /// <summary>The host lets everyone through; the front door checks the credential itself.</summary>
    Anonymous,

    /// <summary>The host requires a function or host key (x-functions-key or ?code=); the front door checks PushServerKeys too.</summary>
    Function,
}

/// <summary>Who calls a route (docs/API.md "Credentials").</summary>
public enum Caller
{
    Server,
    Browser,
    ServerOrBrowser,
    SignalRUpstream,
    Anyone,
}

/// <summary>One HTTP route: the function serving it, method, public path template (with /api) and the host-level auth.</summary>
public sealed record ExpectedRoute(string Function, string Method, string Path, HostAuth Auth, Caller Caller)
{
    /// <summary>The credentials the function must declare with [Accepts] for its callers (none: anonymous).</summary>
    public IReadOnlyList<Credential> Credentials => Caller switch
    {
        Caller.Server => [Credential.Server],
        Caller.Browser => [Credential.Session],
        Caller.ServerOrBrowser => [Credential.Server, Credential.Session],
        Caller.SignalRUpstream => [Credential.Upstream],
        _ => [],
    };

    public override string ToString() => $"{Function}: {Method} {Path} ({Auth}, {Caller})";
}

/// <summary>A timer function and its NCRONTAB schedule (six fields, seconds first).</summary>
public sealed record ExpectedTimer(string Function, string Schedule);

/// <summary>
/// The route table of docs/API.md (with POST /api/deleteAccountToUpdateOnline, which takes the user as {uid}), one function per
/// (method, route), and the timer functions, in one place. Tests compare the generated functions.metadata, the
/// functions' [Accepts] and the development host's endpoints against it.
/// Routes used by the main backend only are authLevel function; routes a browser (or SignalR Service)
/// also calls are anonymous at the host and the front door checks the credential.
/// </summary>
public static class ExpectedRoutes
{
    public static IReadOnlyList<ExpectedRoute> All { get; } =
    [
        // Main backend (server key)
        new("login", "POST", "/api/login", HostAuth.Function, Caller.Server),
        new("sendToUser", "POST", "/api/users/{userId}/messages", HostAuth.Function, Caller.Server),
        new("broadcast", "POST", "/api/broadcast", HostAuth.Function, Caller.Server),
        new("setRoomPolicy", "PUT", "/api/rooms/{roomId}", HostAuth.Function, Caller.Server),
        new("addRoomMember", "PUT", "/api/rooms/{roomId}/members/{userId}", HostAuth.Function, Caller.Server),
        new("removeRoomMember", "DELETE", "/api/rooms/{roomId}/members/{userId}", HostAuth.Function, Caller.Server),
        new("roomMembers", "GET", "/api/rooms/{roomId}/members", HostAuth.Function, Caller.Server),
        new("userSessions", "GET", "/api/users/{userId}/sessions", HostAuth.Function, Caller.Server),
        new("revokeSession", "DELETE", "/api/sessions/{sessionId}", HostAuth.Function, Caller.Server),
        new("deleteUser", "DELETE", "/api/users/{userId}", HostAuth.Function, Caller.Server),
        new("deleteAccountToUpdateOnline", "POST", "/api/deleteAccountToUpdateOnline", HostAuth.Function, Caller.Server),

        // Shared by the main backend and browsers: anonymous at the host, the app accepts either credential
        new("sendToRoom", "POST", "/api/rooms/{roomId}/messages", HostAuth.Anonymous, Caller.ServerOrBrowser),
        new("online", "GET", "/api/online", HostAuth.Anonymous, Caller.ServerOrBrowser),

        // Browsers (session token)
        new("negotiate", "POST", "/api/negotiate", HostAuth.Anonymous, Caller.Browser),
        new("sync", "POST", "/api/sync", HostAuth.Anonymous, Caller.Browser),
        new("joinRoom", "POST", "/api/rooms/{roomId}/join", HostAuth.Anonymous, Caller.Browser),
        new("leaveRoom", "POST", "/api/rooms/{roomId}/leave", HostAuth.Anonymous, Caller.Browser),
        new("logout", "POST", "/api/logout", HostAuth.Anonymous, Caller.Browser),

        // SignalR Service upstream (X-ASRS-Signature locally, Entra bearer token in Azure)
        new("signalrUpstream", "POST", "/api/signalr/{hub}/{category}/{event}", HostAuth.Anonymous, Caller.SignalRUpstream),

        // Operations
        new("health", "GET", "/api/health", HostAuth.Anonymous, Caller.Anyone),
    ];

    /// <summary>Work that no request triggers, in one timer function (one Flex scale group): presence leases, the coalesced online push, room-group restores.</summary>
    public static IReadOnlyList<ExpectedTimer> Timers { get; } =
    [
        new("periodicCheck", "*/10 * * * * *"),
    ];

    /// <summary>The upstream route, as SignalR Service's URL template must end.</summary>
    public static ExpectedRoute Upstream => All.Single(r => r.Caller == Caller.SignalRUpstream);

    public static IEnumerable<object[]> AllAsData() => All.Select(r => new object[] { r.Method, r.Path });

    public static IEnumerable<object[]> TimersAsData() => Timers.Select(t => new object[] { t.Function });
}
