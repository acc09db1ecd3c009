using System.ComponentModel.DataAnnotations;

namespace PushFunctions.Configuration;

/// <summary>The app's own secrets: the server keys it accepts and the keys it signs session tokens with.</summary>
[SettingsSection]
public sealed class KeyOptions
{
    /// <summary>
    /// Comma-separated server keys (16 or more characters each) accepted in <c>x-functions-key</c> or <c>?code=</c>;
    /// several for rotation.
    /// </summary>
    [Required(ErrorMessage = Setting.Missing)]
    [KeyList(16)]
    public string PushServerKeys { get; set; } = "";

    /// <summary>Comma-separated keys (32 or more characters each): the first signs new session tokens, all verify.</summary>
    [Required(ErrorMessage = Setting.Missing)]
    [KeyList(32)]
    public string SessionSigningKeys { get; set; } = "";

    public IReadOnlyList<string> ServerKeys => Setting.List(PushServerKeys);

    public IReadOnlyList<string> SigningKeys => Setting.List(SessionSigningKeys);
}
