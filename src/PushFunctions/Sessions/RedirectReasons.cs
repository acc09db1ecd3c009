namespace PushFunctions.Sessions;

/// <summary>Why a client is sent back to the login page (<c>redirect_to_login</c> <c>{reason}</c>).</summary>
public static class RedirectReasons
{
    public const string AccountDeleted = "account_deleted";
    public const string SessionRevoked = "session_revoked";
    public const string LoggedOut = "logged_out";
}
