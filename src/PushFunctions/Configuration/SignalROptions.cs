using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace PushFunctions.Configuration;

/// <summary>SignalR Service: where it is, the hub, and how its upstream calls are checked.</summary>
[SettingsSection]
public sealed partial class SignalROptions : IValidatableObject
{
    /// <summary>
    /// <c>Endpoint=http://127.0.0.1;Port=8888;AccessKey=...;Version=1.0;</c> (the emulator) or Azure's;
    /// <c>AuthType=azure.msi;ClientId=...</c> for a managed identity, <c>AuthType=azure</c> for DefaultAzureCredential
    /// (as the SDK parses it).
    /// </summary>
    [Required(ErrorMessage = Setting.Missing)]
    public string AzureSignalRConnectionString { get; set; } = "";

    /// <summary>The SignalR hub: a letter, then letters, digits and '_'.</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9_]{0,127}$", ErrorMessage = "Setting '{0}' must start with a letter and hold only letters, digits and '_'.")]
    public string SignalRHubName { get; set; } = "push";

    /// <summary>
    /// Comma-separated extra keys accepted for <c>X-ASRS-Signature</c> besides the connection string's AccessKey
    /// (the service's secondary key).
    /// </summary>
    public string? SignalRUpstreamKeys { get; set; }

    /// <summary>
    /// The <c>aud</c> of the Microsoft Entra token SignalR Service sends upstream when local auth is disabled (Azure
    /// only); unset, <c>X-ASRS-Signature</c> is checked instead.
    /// </summary>
    public string? SignalRUpstreamAudience { get; set; }

    /// <summary>The tenant whose issuer and signing keys that token must have (Azure only; required with an audience).</summary>
    public string? SignalRUpstreamTenantId { get; set; }

    /// <summary>The client id of SignalR Service's identity: the token's <c>appid</c>/<c>azp</c> (Azure only; required with an audience).</summary>
    public string? SignalRUpstreamClientId { get; set; }

    /// <summary>
    /// Where the upstream token's signing keys are (<c>{authority}/{tenant}/discovery/v2.0/keys</c>): another cloud's
    /// Microsoft Entra ID, or the emulator's stand-in in the Entra-mode tests. Not the Azure SDK's
    /// <c>AZURE_AUTHORITY_HOST</c>: DefaultAzureCredential refuses an http one, and the emulator's is http.
    /// </summary>
    public string SignalRUpstreamAuthority { get; set; } = "https://login.microsoftonline.com";

    /// <summary>The hub as the service knows it (lower case).</summary>
    public string HubName => SignalRHubName.ToLowerInvariant();

    public IReadOnlyList<string> UpstreamKeys => Setting.List(SignalRUpstreamKeys);

    public Uri UpstreamAuthority => new(SignalRUpstreamAuthority);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(SignalRUpstreamAuthority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
            yield return new($"Setting '{SettingNames.UpstreamAuthority}' must be an http(s) URL.");
        if (SignalRUpstreamAudience is null) yield break;
        if (SignalRUpstreamTenantId is null)
            yield return new($"Setting '{SettingNames.UpstreamTenantId}' is required when '{SettingNames.UpstreamAudience}' is set.");
        else if (!TenantId().IsMatch(SignalRUpstreamTenantId))
            yield return new($"Setting '{SettingNames.UpstreamTenantId}' must be a tenant id (a GUID) or domain.");
        if (SignalRUpstreamClientId is null)
            yield return new($"Setting '{SettingNames.UpstreamClientId}' is required when '{SettingNames.UpstreamAudience}' is set.");
    }

    [GeneratedRegex("^[A-Za-z0-9.-]{1,100}$")]
    private static partial Regex TenantId();
}
