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
