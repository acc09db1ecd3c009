using System.Security.Cryptography;
using System.Text;
using PushFunctions.Configuration;

namespace FunctionsHost.Hosting;

/// <summary>
/// The app settings this host reads for itself, and the local stand-ins for what Azure's platform configures
/// around the host. In Azure the deployment sets a host key equal to each server key and the allowed origins in
/// <c>siteConfig.cors</c> (docs/DEPLOY.md); locally the host reads them from the app's own settings, so the key the
/// main backend sends is the key the host checks, here as there.
/// </summary>
public sealed class AppSettings(IConfiguration configuration)
{
    /// <summary>The host's storage account: timer locks and schedule status (Azurite locally).</summary>
    public const string StorageSetting = "AzureWebJobsStorage";

    /// <summary>The host id (locks and schedule status are kept under it), as <c>AzureFunctionsWebHost__hostid</c> sets it in Azure.</summary>
    public const string HostIdSetting = "AzureFunctionsWebHost:hostid";

    /// <summary>
    /// The browser origins allowed to call the app (comma-separated, with credentials): the local stand-in for the
    /// platform's CORS (<c>siteConfig.cors</c> in Azure, <c>Host.CORS</c> in local.settings.json for <c>func start</c>),
    /// which answers preflights before the worker sees them. A setting of this host, not of the app.
    /// </summary>
    public const string CorsAllowedOriginsSetting = "CorsAllowedOrigins";

    public IConfiguration Configuration { get; } = configuration;

    /// <summary>
    /// The host keys an <c>authLevel: function</c> route accepts. Locally: the app's server keys
    /// (<see cref="SettingNames.ServerKeys"/>), standing in for the host keys the deployment creates from them.
    /// </summary>
    public IReadOnlyList<string> HostKeys => List(SettingNames.ServerKeys);

    /// <summary>Allowed browser origins (<see cref="CorsAllowedOriginsSetting"/>), standing in for <c>siteConfig.cors</c>.</summary>
    public IReadOnlyList<string> CorsAllowedOrigins => List(CorsAllowedOriginsSetting);

    public string? Storage => Configuration[StorageSetting] is { Length: > 0 } value ? value : null;

    /// <summary>
    /// The configured host id, else one derived from the machine name and the app folder as the host does when it
    /// runs outside Azure: every host process of one app folder on one machine shares it (so they share timer locks),
    /// another folder gets another. Lowercase, at most 32 characters, as the host's ids.
    /// </summary>
    public string HostId(string appDirectory)
    {
        if (Configuration[HostIdSetting] is { Length: > 0 } configured) return configured.ToLowerInvariant();
        var machine = new string(Environment.MachineName.Where(char.IsLetterOrDigit).ToArray());
        var folderHash = BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(appDirectory))));
        var id = $"{machine}-{folderHash}".ToLowerInvariant();
        return (id.Length > 32 ? id[..32] : id).TrimEnd('-');
    }

    private IReadOnlyList<string> List(string name) => Setting.List(Configuration[name.Replace("__", ":")]);
}
