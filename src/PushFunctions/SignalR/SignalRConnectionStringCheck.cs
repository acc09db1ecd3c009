using Microsoft.Extensions.Options;
using PushFunctions.Configuration;

namespace PushFunctions.SignalR;

/// <summary>Part of the settings validation at start-up: the SignalR connection string must parse.</summary>
public sealed class SignalRConnectionStringCheck : IValidateOptions<SignalROptions>
{
    public ValidateOptionsResult Validate(string? name, SignalROptions options)
    {
        // A missing one is the settings class's own problem to report.
        if (string.IsNullOrEmpty(options.AzureSignalRConnectionString)) return ValidateOptionsResult.Skip;
        try
        {
            SignalRConnectionString.Parse(options.AzureSignalRConnectionString);
            return ValidateOptionsResult.Success;
        }
        catch (FormatException e)
        {
            // The parser's messages never include the string (it holds the access key).
            return ValidateOptionsResult.Fail($"Setting '{SettingNames.SignalRConnectionString}': {e.Message}");
        }
    }
}
