namespace TodoBackend.Push;

/// <summary>Where PushFunctions runs and the server key this backend calls it with (section <c>PushFunctions</c>).</summary>
public sealed class PushFunctionsOptions
{
    public const string Section = "PushFunctions";

    /// <summary>PushFunctions as this backend reaches it, e.g. <c>http://127.0.0.1:7071</c>.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>Sent as <c>x-functions-key</c>. Server-side only: never in a response.</summary>
    public string ServerKey { get; set; } = "";

    /// <summary>PushFunctions as browsers reach it (negotiate, sync, online); default <see cref="BaseUrl"/>.</summary>
    public string? PublicUrl { get; set; }

    public string BrowserUrl => (string.IsNullOrWhiteSpace(PublicUrl) ? BaseUrl : PublicUrl).TrimEnd('/');
}
