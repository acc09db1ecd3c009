using System.Globalization;
using System.Reflection;

namespace PushFunctions.Configuration;

/// <summary>
/// One setting: a property of a settings class and the name it is set by (the property's name, or the name its
/// <see cref="ConfigurationKeyNameAttribute"/> gives, after the class's section).
/// </summary>
public sealed record Setting(string Name, PropertyInfo Property)
{
    /// <summary>Messages of the data annotations on settings; <c>{0}</c> is the setting's name.</summary>
    public const string Missing = "Missing setting '{0}'.";
    public const string MustBePositive = "Setting '{0}' must be a positive whole number.";

    /// <summary>A comma-separated setting as its items, trimmed, empty ones left out.</summary>
    public static IReadOnlyList<string> List(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The settings a class declares (<see cref="SettingsSectionAttribute"/>), in declaration order.</summary>
    public static IReadOnlyList<Setting> Of(Type settingsClass)
    {
        var section = settingsClass.GetCustomAttribute<SettingsSectionAttribute>()?.Name
            ?? throw new InvalidOperationException($"{settingsClass.Name} is not a settings class: it has no [SettingsSection].");
        return settingsClass.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true })
            .Select(p => (Property: p, Key: p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? p.Name))
            .Select(p => new Setting(section.Length == 0 ? p.Key : $"{section}__{p.Key}", p.Property))
            .ToList();
    }

    /// <summary>The value configuration holds, trimmed; null when it is missing or empty (the default applies).</summary>
    public string? ValueIn(IConfiguration configuration) =>
        configuration[Name.Replace("__", ":", StringComparison.Ordinal)] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>Reads <paramref name="text"/> as the property's type: text, or a whole number.</summary>
    public bool TryRead(string text, out object? value)
    {
        var type = Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;
        if (type == typeof(string))
        {
            value = text;
            return true;
        }
        if (type == typeof(int) && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            value = number;
            return true;
        }
        if (type != typeof(int)) throw new InvalidOperationException($"Setting '{Name}' is of type {type.Name}; settings are text or whole numbers.");
        value = null;
        return false;
    }

    /// <summary>What to say when the value is not of the property's type (never the value itself: it may be a secret).</summary>
    public string NotReadable => $"Setting '{Name}' must be a whole number.";
}
