using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace FunctionsHost.InProcess;

/// <summary>
/// Collects the app's services and worker middleware the way the worker's builder does
/// (<c>UseMiddleware&lt;T&gt;()</c> lands in <see cref="Use"/>), and composes them around a function in the
/// same order: the first registered runs first.
/// </summary>
internal sealed class InProcessWorkerBuilder(IServiceCollection services) : IFunctionsWorkerApplicationBuilder
{
    private readonly List<Func<FunctionExecutionDelegate, FunctionExecutionDelegate>> middleware = [];

    public IServiceCollection Services { get; } = services;

    public IFunctionsWorkerApplicationBuilder Use(Func<FunctionExecutionDelegate, FunctionExecutionDelegate> component)
    {
        middleware.Add(component);
        return this;
    }

    public FunctionExecutionDelegate Build(FunctionExecutionDelegate function)
    {
        var pipeline = function;
        for (var i = middleware.Count - 1; i >= 0; i--) pipeline = middleware[i](pipeline);
        return pipeline;
    }
}
