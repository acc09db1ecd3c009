using FunctionsHost.Functions;
using FunctionsHost.Invocations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace FunctionsHost.InProcess;

/// <summary>
/// Runs the app's functions in this process, through the app's own worker middleware, behind the same HTTP front as
/// the worker process (routes, keys, CORS, limits, timeouts, timers): for fast tests and the benchmark's in-process
/// path. What it does not have: the worker's process and gRPC channel, the HTTP hop to the worker's own listener,
/// and a worker to restart when an invocation times out.
/// </summary>
internal sealed class InProcessInvoker : IFunctionInvoker
{
    private const string MethodKey = "FunctionsHost.Function";
    private readonly Dictionary<string, FunctionMethod> methods;
    private readonly FunctionExecutionDelegate pipeline;
    private readonly IServiceScopeFactory scopes;
    private readonly ILogger logger;

    public InProcessInvoker(IEnumerable<FunctionInfo> functions, string appDirectory, InProcessWorkerBuilder worker, IServiceProvider services, ILogger logger)
    {
        methods = functions.ToDictionary(f => f.Name, f => new FunctionMethod(f, appDirectory));
        pipeline = worker.Build(context => ((FunctionMethod)context.Items[MethodKey]).InvokeAsync(context));
        scopes = services.GetRequiredService<IServiceScopeFactory>();
        this.logger = logger;
    }

    public async Task<InvocationOutcome> InvokeHttpAsync(Invocation invocation, HttpContext http)
    {
        var method = methods[invocation.Function.Name];
        var context = new InProcessFunctionContext(invocation.Id, method.Definition, http.RequestServices, http, invocation.Cancellation);
        try
        {
            await RunAsync(method, context);
            await FunctionMethod.ExecuteResultAsync(context, http);
            return InvocationOutcome.Succeeded;
        }
        catch (Exception e)
        {
            return Failed(e);
        }
    }

    public async Task<InvocationOutcome> InvokeTimerAsync(Invocation invocation, string timerInfoJson)
    {
        var method = methods[invocation.Function.Name];
        await using var scope = scopes.CreateAsyncScope();
        var context = new InProcessFunctionContext(invocation.Id, method.Definition, scope.ServiceProvider, http: null, invocation.Cancellation);
        FunctionMethod.SetTimerInfo(context, timerInfoJson);
        try
        {
            await RunAsync(method, context);
            return InvocationOutcome.Succeeded;
        }
        catch (Exception e)
        {
            return Failed(e);
        }
    }

    public Task OnTimeoutAsync(Invocation invocation)
    {
        // The host would restart the worker process; here the app shares this process. The invocation's token is
        // cancelled and it goes on until it stops.
        logger.LogWarning("A function timeout has occurred; the in-process path has no worker process to restart for invocation '{InvocationId}'.", invocation.Id);
        return Task.CompletedTask;
    }

    private Task RunAsync(FunctionMethod method, FunctionContext context)
    {
        context.Items[MethodKey] = method;
        return pipeline(context);
    }

    private static InvocationOutcome Failed(Exception e) => InvocationOutcome.Failed($"{e.GetType().FullName}: {e.Message}");
}
