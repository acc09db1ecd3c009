namespace PushFunctions.Security;

/// <summary>The three kinds of caller (API.md "Credentials").</summary>
public enum Credential
{
    /// <summary>The main backend: a server key in <c>x-functions-key</c> or <c>?code=</c>.</summary>
    Server,

    /// <summary>A browser: <c>Authorization: Bearer</c> with a live session token.</summary>
    Session,

    /// <summary>SignalR Service: a valid <c>X-ASRS-Signature</c> (or, with local auth disabled, an Entra token).</summary>
    Upstream,
}

/// <summary>Header, query and claim names of the credentials, each named once.</summary>
public static class Credentials
{
    public const string ServerKeyHeader = "x-functions-key";
    public const string ServerKeyQuery = "code";
    public const string SignatureHeader = "X-ASRS-Signature";
    public const string ConnectionIdHeader = "X-ASRS-Connection-Id";
    public const string UserIdHeader = "X-ASRS-User-Id";
    public const string UserClaimsHeader = "X-ASRS-User-Claims";

    /// <summary>The client-token claim that ties a connection to its session; it comes back in X-ASRS-User-Claims.</summary>
    public const string SessionClaim = "pf.sid";
}

/// <summary>
/// Which credentials a function accepts, declared on the function itself; the front door refuses every other
/// caller before the function runs. A function without it is anonymous (health).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AcceptsAttribute(params Credential[] credentials) : Attribute
{
    public IReadOnlyList<Credential> Credentials { get; } = credentials;
}
