using FunctionsDevHost;
using PushFunctions.Configuration;

try
{
    await DevHost.Build(args).RunAsync();
    return 0;
}
catch (InvalidSettingsException e)
{
    // Named settings, no values: the message is safe to print and says what to fix.
    Console.Error.WriteLine(e.Message);
    return 2;
}
