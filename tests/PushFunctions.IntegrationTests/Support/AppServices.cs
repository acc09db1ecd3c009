using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.DependencyInjection;
using PushFunctions.SignalR;

namespace PushFunctions.IntegrationTests.Support;

/// <summary>The app's services as it wires them, on a test Redis, with the test's clock and SignalR Service.</summary>
public static class AppServices
{
    public static ServiceProvider Build(ITestRedis redis, TimeProvider clock, ISignalRService signalR, IReadOnlyDictionary<string, string>? tuning = null)
    {
        var services = new ServiceCollection().AddLogging();
        new ServicesOnly(services).AddPushFunctions(StoreSettings.Configuration(redis, tuning));
        return services.AddSingleton(clock).AddSingleton(signalR).BuildServiceProvider();
    }

    /// <summary>The worker's builder as far as the app's services go (no middleware pipeline is run here).</summary>
    private sealed class ServicesOnly(IServiceCollection services) : IFunctionsWorkerApplicationBuilder
    {
        public IServiceCollection Services => services;
        public IFunctionsWorkerApplicationBuilder Use(Func<FunctionExecutionDelegate, FunctionExecutionDelegate> middleware) => this;
    }
}
