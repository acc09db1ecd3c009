using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.Azure.Functions.Worker;
using PushFunctions.Http;

namespace FunctionsDevHost;

/// <summary>
/// Calls one function the way the worker does: a new instance of its class from the invocation's services,
/// the trigger's parameter (<see cref="HttpRequest"/> or <see cref="TimerInfo"/>), route values by parameter
/// name, <see cref="FunctionContext"/> and <see cref="CancellationToken"/>; then, like the worker's ASP.NET Core
/// integration, executes a returned <see cref="IResult"/> or <see cref="IActionResult"/> after the middleware.
/// </summary>
internal sealed class FunctionInvoker
{
    private const string ResultKey = "FunctionsDevHost.Result";
    private readonly MethodInfo method;
    private readonly ObjectFactory? factory;
    private readonly Func<FunctionContext, object?>[] binders;

    public FunctionInvoker(FunctionInfo function)
    {
        method = function.Method;
        factory = method.IsStatic ? null : ActivatorUtilities.CreateFactory(method.DeclaringType!, []);
        binders = method.GetParameters().Select(Binder).ToArray();
        var trigger = method.GetParameters().Select(p => (p.Name, Type: TriggerType(p))).FirstOrDefault(t => t.Type is not null);
        if (trigger.Type is null) throw new InvalidOperationException($"Function '{function.Name}' has no trigger the development host serves (HTTP or timer).");
        Definition = new DevFunctionDefinition(function.Name, $"{method.DeclaringType!.FullName}.{method.Name}",
            method.DeclaringType.Assembly.Location, trigger.Name!, trigger.Type);
        Http = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null);
        Timer = method.GetParameters().Select(p => p.GetCustomAttribute<TimerTriggerAttribute>()).FirstOrDefault(a => a is not null);
    }

    public DevFunctionDefinition Definition { get; }
    public HttpTriggerAttribute? Http { get; }
    public TimerTriggerAttribute? Timer { get; }

    /// <summary>The function itself: the end of the middleware pipeline.</summary>
    public async Task InvokeAsync(FunctionContext context)
    {
        var instance = factory?.Invoke(context.InstanceServices, []);
        object? returned;
        try
        {
            returned = method.Invoke(instance, binders.Select(bind => bind(context)).ToArray());
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
        if (returned is Task task)
        {
            await task;
            returned = task.GetType().IsGenericType ? task.GetType().GetProperty(nameof(Task<object>.Result))!.GetValue(task) : null;
        }
        context.Items[ResultKey] = returned!;
    }

    /// <summary>What the worker's ASP.NET Core integration does with an HTTP function's return value.</summary>
    public static async Task ExecuteResultAsync(FunctionContext context, HttpContext http)
    {
        switch (context.Items.TryGetValue(ResultKey, out var result) ? result : null)
        {
            case IActionResult action:
                await action.ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
                break;
            case IResult iresult:
                await iresult.ExecuteAsync(http);
                break;
        }
    }

    private static string? TriggerType(ParameterInfo parameter) =>
        parameter.GetCustomAttribute<HttpTriggerAttribute>() is not null ? "httpTrigger"
        : parameter.GetCustomAttribute<TimerTriggerAttribute>() is not null ? "timerTrigger"
        : null;

    private static Func<FunctionContext, object?> Binder(ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        if (type == typeof(HttpRequest)) return context => context.GetHttpContext()!.Request;
        if (type == typeof(FunctionContext)) return context => context;
        if (type == typeof(TimerInfo)) return _ => new TimerInfo();
        if (type == typeof(CancellationToken)) return context => context.CancellationToken;
        if (type == typeof(string))
        {
            var name = parameter.Name!;
            return context => context.GetHttpContext()?.Request.RouteValues[name]?.ToString();
        }
        throw new InvalidOperationException($"The development host cannot bind parameter '{parameter.Name}' of {parameter.Member.DeclaringType?.Name}.{parameter.Member.Name}.");
    }
}
