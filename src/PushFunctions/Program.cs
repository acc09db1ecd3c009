using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using PushFunctions;
using PushFunctions.Configuration;

// Under the Azure Functions host: in Azure, under `func start`, and locally and in tests under tools/FunctionsHost,
// which starts this build output as the Functions host does.
try
{
    var builder = FunctionsApplication.CreateBuilder(args);
    builder.ConfigureFunctionsWebApplication();
    builder.AddPushFunctions(builder.Configuration);
    await builder.Build().RunAsync();
    return 0;
}
catch (Exception e) when (InvalidSettingsException.From(e) is { } invalid)
{
    // Named settings, no values: the message is safe to print and says what to fix.
    Console.Error.WriteLine(invalid.Message);
    return InvalidSettingsException.ExitCode;
}
