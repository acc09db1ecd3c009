using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using FunctionsHost.Functions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsHost.InProcess;

/// <summary>
/// Calls one function the way the worker does: its method found from the entry point (<c>Namespace.Class.Method</c>)
/// in the assembly the metadata names, a new instance of its class from the invocation's services, the trigger's
/// parameter (<see cref="HttpRequest"/> or <see cref="TimerInfo"/>), route values by parameter name,
/// <see cref="FunctionContext"/> and <see cref="CancellationToken"/>; then, like the worker's ASP.NET Core
/// integration, executes a returned <see cref="IResult"/> or <see cref="IActionResult"/> after the middleware.
/// </summary>
internal sealed class FunctionMethod
{
    private const string ResultKey = "FunctionsHost.Result";
    private const string TimerInfoKey = "FunctionsHost.TimerInfo";
    private static readonly JsonSerializerOptions TimerInfoJson = new() { PropertyNameCaseInsensitive = true };
    private readonly MethodInfo method;
    private readonly ObjectFactory? factory;
    private readonly Func<FunctionContext, object?>[] binders;

    public FunctionMethod(FunctionInfo function, string appDirectory)
    {
        var assemblyPath = Path.Combine(appDirectory, function.ScriptFile);
        var assemblyName = Path.GetFileNameWithoutExtension(function.ScriptFile);
        // The app's assembly as this process already has it (a project reference), else loaded from the app folder.
        var assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == assemblyName)
                       ?? Assembly.LoadFrom(assemblyPath);
        var split = function.EntryPoint.LastIndexOf('.');
        var type = assembly.GetType(function.EntryPoint[..split], throwOnError: true)!;
        method = type.GetMethod(function.EntryPoint[(split + 1)..], BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
                 ?? throw new InvalidOperationException($"Function '{function.Name}': no method {function.EntryPoint}.");
        factory = method.IsStatic ? null : ActivatorUtilities.CreateFactory(type, []);
        binders = method.GetParameters().Select(Binder).ToArray();
        Definition = new InProcessFunctionDefinition(function, assemblyPath);
    }

    public InProcessFunctionDefinition Definition { get; }

    /// <summary>The TimerInfo JSON a timer invocation carries, read by the function's <see cref="TimerInfo"/> parameter.</summary>
    public static void SetTimerInfo(FunctionContext context, string json) => context.Items[TimerInfoKey] = json;

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

    private static Func<FunctionContext, object?> Binder(ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        if (type == typeof(HttpRequest)) return context => context.GetHttpContext()!.Request;
        if (type == typeof(FunctionContext)) return context => context;
        if (type == typeof(TimerInfo))
            return context => context.Items.TryGetValue(TimerInfoKey, out var json) ? JsonSerializer.Deserialize<TimerInfo>((string)json, TimerInfoJson) : new TimerInfo();
        if (type == typeof(CancellationToken)) return context => context.CancellationToken;
        if (type == typeof(string))
        {
            var name = parameter.Name!;
            return context => context.GetHttpContext()?.Request.RouteValues[name]?.ToString();
        }
        throw new InvalidOperationException($"The in-process path cannot bind parameter '{parameter.Name}' of {parameter.Member.DeclaringType?.Name}.{parameter.Member.Name}.");
    }
}
