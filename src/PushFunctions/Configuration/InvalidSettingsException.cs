using Microsoft.Extensions.Options;

namespace PushFunctions.Configuration;

/// <summary>
/// The app cannot start with these settings. Each problem names its setting and never its value, so the message is
/// safe to print; Program prints it and exits with <see cref="ExitCode"/>.
/// </summary>
public sealed class InvalidSettingsException(IReadOnlyList<string> problems)
    : Exception("PushFunctions cannot start: " + string.Join(" ", problems))
{
    public const int ExitCode = 2;

    public IReadOnlyList<string> Problems { get; } = problems;

    /// <summary>
    /// The settings problems behind a failure to start, as one exception: one raised by the app, or what the
    /// settings validation found (one settings class, or several together); null for any other failure.
    /// </summary>
    public static InvalidSettingsException? From(Exception exception) => exception switch
    {
        InvalidSettingsException invalid => invalid,
        OptionsValidationException failed => new([.. failed.Failures]),
        AggregateException all when all.InnerExceptions.Count > 0 && all.InnerExceptions.All(e => From(e) is not null) =>
            new([.. all.InnerExceptions.SelectMany(e => From(e)!.Problems)]),
        _ => null,
    };
}
