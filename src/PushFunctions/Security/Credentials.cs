namespace PushFunctions.Security;

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
