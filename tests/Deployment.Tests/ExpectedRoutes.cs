namespace Deployment.Tests;

/// <summary>How the Functions host guards a route before the app sees it (function.json authLevel).</summary>
public enum HostAuth
{
    /// <summary>The host lets everyone through; the app checks the credential itself.</summary>
    Anonymous,

    /// <summary>The host requires a function or host key (x-functions-key or ?code=); the app checks PushServerKeys too.</summary>
    Function,
}

/// <summary>Who calls a route (docs: /work/shared/API.md "Credentials").</summary>
public enum Caller
{
    Server,
    Browser,
    ServerOrBrowser,
    SignalRUpstream,
    Anyone,
}

/// <summary>One HTTP route: method, public path template (with /api) and the host-level auth.</summary>
public sealed record ExpectedRoute(string Method, string Path, HostAuth Auth, Caller Caller)
{
    public override string ToString() => $"{Method} {Path} ({Auth}, {Caller})";
}

/// <summary>
/// The route table of API.md (plus the old call shape POST /api/deleteAccountToUpdateOnline), in one place.
/// Seam: tests compare functions/*/function.json against <see cref="All"/>; a later test can compare the
/// app's own endpoint table (PushApp.Build(...) data sources) against the same list.
/// Routes used by the main backend only are authLevel function; routes a browser (or SignalR Service)
/// also calls are anonymous at the host and the app checks the credential.
/// </summary>
public static class ExpectedRoutes
{
    public static IReadOnlyList<ExpectedRoute> All { get; } =
    [
        // Main backend (server key)
        new("POST", "/api/login", HostAuth.Function, Caller.Server),
        new("POST", "/api/users/{userId}/messages", HostAuth.Function, Caller.Server),
        new("POST", "/api/broadcast", HostAuth.Function, Caller.Server),
        new("PUT", "/api/rooms/{roomId}/members/{userId}", HostAuth.Function, Caller.Server),
        new("DELETE", "/api/rooms/{roomId}/members/{userId}", HostAuth.Function, Caller.Server),
        new("GET", "/api/rooms/{roomId}/members", HostAuth.Function, Caller.Server),
        new("GET", "/api/users/{userId}/sessions", HostAuth.Function, Caller.Server),
        new("DELETE", "/api/sessions/{sessionId}", HostAuth.Function, Caller.Server),
        new("DELETE", "/api/users/{userId}", HostAuth.Function, Caller.Server),
        new("POST", "/api/deleteAccountToUpdateOnline", HostAuth.Function, Caller.Server),

        // Shared by the main backend and browsers: anonymous at the host, the app accepts either credential
        new("POST", "/api/rooms/{roomId}/messages", HostAuth.Anonymous, Caller.ServerOrBrowser),
        new("GET", "/api/online", HostAuth.Anonymous, Caller.ServerOrBrowser),

        // Browsers (session token)
        new("POST", "/api/negotiate", HostAuth.Anonymous, Caller.Browser),
        new("POST", "/api/sync", HostAuth.Anonymous, Caller.Browser),
        new("POST", "/api/rooms/{roomId}/join", HostAuth.Anonymous, Caller.Browser),
        new("POST", "/api/rooms/{roomId}/leave", HostAuth.Anonymous, Caller.Browser),
        new("POST", "/api/logout", HostAuth.Anonymous, Caller.Browser),

        // SignalR Service upstream (X-ASRS-Signature locally, Entra bearer token in Azure)
        new("POST", "/api/signalr/{hub}/{category}/{event}", HostAuth.Anonymous, Caller.SignalRUpstream),

        // Operations
        new("GET", "/api/health", HostAuth.Anonymous, Caller.Anyone),
    ];

    /// <summary>The upstream route, as SignalR Service's URL template must end.</summary>
    public static ExpectedRoute Upstream => All.Single(r => r.Caller == Caller.SignalRUpstream);

    public static IEnumerable<object[]> AllAsData() => All.Select(r => new object[] { r.Method, r.Path });
}
