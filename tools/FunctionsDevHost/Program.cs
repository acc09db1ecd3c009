using FunctionsDevHost;
using PushFunctions.Configuration;

try
{
    await DevHost.Build(args).RunAsync();
    return 0;
}
catch (Exception e) when (InvalidSettingsException.From(e) is { } invalid)
{
    // Named settings, no values: the message is safe to print and says what to fix.
    Console.Error.WriteLine(invalid.Message);
    return InvalidSettingsException.ExitCode;
}
