using FunctionsHost;
using FunctionsHost.Worker;

// dotnet FunctionsHost.dll [--app-dir DIR] [--urls URL | --port N]
// DIR: the app's build output (default: the current folder, as `func start`); the app settings are this process's
// environment and DIR/local.settings.json. Ctrl-C or SIGTERM stops the host and its worker.
string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var urls = Option("--urls") ?? $"http://127.0.0.1:{Option("--port") ?? "7071"}";
var options = new FunctionsHostOptions { AppDirectory = Option("--app-dir") ?? Directory.GetCurrentDirectory(), Urls = urls };

LocalFunctionsHost host;
try
{
    host = await LocalFunctionsHost.StartAsync(options);
}
catch (WorkerStartException e)
{
    // The worker's own words (a bad setting is named there) and its exit code.
    Console.Error.WriteLine(e.Message);
    return e.ExitCode;
}
catch (Exception e) when (e is IOException or FormatException or InvalidOperationException)
{
    // The port is taken, the folder is not an app's build output, host.json or a schedule cannot be read.
    Console.Error.WriteLine($"The host could not start: {e.Message}");
    return 1;
}

var stop = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(0); });
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(0); });
var exitCode = await await Task.WhenAny(stop.Task, host.Stopped);
await host.DisposeAsync();
return exitCode;
