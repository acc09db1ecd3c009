using System.Text;

namespace TodoBackend.Accounts;

/// <summary>Demo sign-in has no passwords: a display name maps to a user id, a lowercase slug.</summary>
public static class UserIds
{
    public const int MaxNameLength = 40;

    /// <summary>"Alice Smith" → "alice-smith"; null when nothing usable is left. The result always fits PushFunctions' id rule.</summary>
    public static string? FromName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var slug = new StringBuilder();
        foreach (var c in name.Trim().Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9') slug.Append(c);
            else if (char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.NonSpacingMark) continue; // é → e
            else if (slug.Length > 0 && slug[^1] != '-') slug.Append('-');
            if (slug.Length >= 32) break;
        }
        var id = slug.ToString().Trim('-');
        return id.Length == 0 ? null : id;
    }

    /// <summary>The name as shown: trimmed, inner whitespace collapsed, at most <see cref="MaxNameLength"/> characters.</summary>
    public static string DisplayName(string name)
    {
        var clean = string.Join(' ', name.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return clean.Length <= MaxNameLength ? clean : clean[..MaxNameLength];
    }
}
