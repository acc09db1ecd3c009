using System.ComponentModel.DataAnnotations;

namespace PushFunctions.Configuration;

/// <summary>A comma-separated list of keys, each at least <paramref name="minLength"/> characters long.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class KeyListAttribute(int minLength) : ValidationAttribute("Setting '{0}' needs keys of at least {1} characters each.")
{
    public int MinLength { get; } = minLength;

    public override bool IsValid(object? value) => Setting.List(value as string).All(key => key.Length >= MinLength);

    public override string FormatErrorMessage(string name) => string.Format(System.Globalization.CultureInfo.InvariantCulture, ErrorMessageString, name, MinLength);
}
