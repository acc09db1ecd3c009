namespace PushFunctions.Security;

/// <summary>The three kinds of caller (API.md "Credentials"), as roles and as authorization policy names.</summary>
public static class Credentials
{
    public const string Scheme = "Push";

    public const string Server = "server";
    public const string Session = "session";
    public const string Upstream = "upstream";
    public const string ServerOrSession = "server-or-session";

    public const string ServerKeyHeader = "x-functions-key";
    public const string ServerKeyQuery = "code";
    public const string SignatureHeader = "X-ASRS-Signature";
    public const string ConnectionIdHeader = "X-ASRS-Connection-Id";

    // Claims of an authenticated session.
    public const string UserIdClaim = "uid";
    public const string UserNameClaim = "name";
    public const string SessionIdClaim = "sid";
    public const string SessionExpiresClaim = "exp";
}
