namespace PushFunctions.Configuration;

/// <summary>
/// Marks a class of settings and names its section: each of its public settable properties is the setting
/// <c>{Section}__{Property}</c> (an app setting in Azure, an environment variable locally), or <c>{Property}</c> for
/// the top-level ones (no section). A property's initial value is its default; README's settings table lists them all.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class SettingsSectionAttribute(string name = "") : Attribute
{
    public string Name { get; } = name;
}
