using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Moq;
using PushFunctions.Security;
using PushFunctions.Tests.Functions;

namespace PushFunctions.Tests.FrontDoor;

/// <summary>What a client saw, and whether the function behind the middleware ran.</summary>
/// <param name="Failure">What the middleware threw after answering: the invocation's failure, as the worker reports it to the host.</param>
public sealed record MiddlewareRun(Response Response, bool FunctionRan, Mock<FunctionContext> Context, Exception? Failure = null);

/// <summary>Invocations of the front door's middleware, one at a time or all of them in the order the app registers them.</summary>
public static class MiddlewareRuns
{
    public static HttpContext Call(string method, string path, IDictionary<string, string>? headers = null) =>
        Invocation.Request(method, path, headers: headers).HttpContext;

    public static Dictionary<string, string> ServerKey(string key = FunctionTestHost.ServerKey) => new() { [Credentials.ServerKeyHeader] = key };

    public static Dictionary<string, string> UpstreamSignature(string key = FunctionTestHost.AccessKey) => new()
    {
        [Credentials.ConnectionIdHeader] = "c1",
        [Credentials.SignatureHeader] = Security.UpstreamSignature.Compute(key, "c1"),
    };

    /// <summary>Runs one middleware with <paramref name="body"/> standing in for the function behind it.</summary>
    public static Task<MiddlewareRun> RunAsync(this FunctionTestHost host, IFunctionsWorkerMiddleware middleware, string function, HttpContext http,
        Func<FunctionContext, Task>? body = null, Caller? caller = null) =>
        RunAsync(host, (context, next) => middleware.Invoke(context, next), function, http, body, caller);

    /// <summary>Runs every middleware the app registers, in order, with <paramref name="body"/> standing in for the function.</summary>
    public static Task<MiddlewareRun> RunFrontDoorAsync(this FunctionTestHost host, string function, HttpContext http, Func<FunctionContext, Task>? body = null) =>
        RunAsync(host, (context, next) => host.Pipeline(next)(context), function, http, body, caller: null);

    private static async Task<MiddlewareRun> RunAsync(FunctionTestHost host, Func<FunctionContext, FunctionExecutionDelegate, Task> run, string function,
        HttpContext http, Func<FunctionContext, Task>? body, Caller? caller)
    {
        http.RequestServices = host.Services;
        http.Response.Body = new MemoryStream();
        var context = Invocation.Context(function, http, caller);
        context.SetupGet(c => c.InstanceServices).Returns(host.Services);
        var ran = false;
        Exception? failure = null;
        try
        {
            await run(context.Object, c =>
            {
                ran = true;
                return body?.Invoke(c) ?? Task.CompletedTask;
            });
        }
        catch (Exception e)
        {
            failure = e;
        }
        return new MiddlewareRun(await Response.ReadAsync(http), ran, context, failure);
    }
}
