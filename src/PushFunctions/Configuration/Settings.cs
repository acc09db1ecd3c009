using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PushFunctions.Configuration;

/// <summary>
/// Settings classes in the options pattern: each is bound from configuration (<see cref="Setting"/> names its
/// properties; an empty value counts as not set, so the default applies) and validated when the app starts
/// (<c>ValidateOnStart</c>): a value that is not a number, the data annotations on its properties and the rules
/// across them (<see cref="IValidatableObject"/>), each problem a sentence that names the setting and never its value.
/// </summary>
public static class Settings
{
    public static IServiceCollection AddSettings<T>(this IServiceCollection services, IConfiguration configuration) where T : class, new()
    {
        services.AddOptions<T>().Configure(options => Bind(configuration, options)).ValidateOnStart();
        return services.AddSingleton<IValidateOptions<T>>(new Validation<T>(configuration));
    }

    /// <summary>The settings as configuration sets them, unvalidated: for what is decided while services are registered.</summary>
    public static T Read<T>(IConfiguration configuration) where T : new()
    {
        var options = new T();
        Bind(configuration, options);
        return options;
    }

    private static void Bind<T>(IConfiguration configuration, T options)
    {
        foreach (var setting in Setting.Of(typeof(T)))
        {
            // A value that does not read stays at its default; the validation names it.
            if (setting.ValueIn(configuration) is { } text && setting.TryRead(text, out var value)) setting.Property.SetValue(options, value);
        }
    }

    private sealed class Validation<T>(IConfiguration configuration) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var problems = new List<ValidationResult>();
            foreach (var setting in Setting.Of(typeof(T)))
            {
                if (setting.ValueIn(configuration) is { } text && !setting.TryRead(text, out _))
                {
                    problems.Add(new ValidationResult(setting.NotReadable));
                    continue;
                }
                var context = new ValidationContext(options) { MemberName = setting.Property.Name, DisplayName = setting.Name };
                Validator.TryValidateProperty(setting.Property.GetValue(options), context, problems);
            }
            if (options is IValidatableObject whole) problems.AddRange(whole.Validate(new ValidationContext(options)));
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems.Select(p => p.ErrorMessage!));
        }
    }
}
