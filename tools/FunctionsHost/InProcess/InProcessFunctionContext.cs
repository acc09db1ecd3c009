using System.Collections;
using System.Collections.Immutable;
using FunctionsHost.Functions;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsHost.InProcess;

/// <summary>
/// One invocation's context, as the worker hands it to middleware and functions. What the app reads is real
/// (the function's name and entry point, the invocation id, instance services, items, the HTTP context,
/// cancellation); binding data, trace and retry contexts are empty.
/// </summary>
internal sealed class InProcessFunctionContext : FunctionContext
{
    /// <summary>
    /// The worker's ASP.NET Core integration keeps the request's HttpContext under this item key (its internal
    /// Constants.HttpContextKey); <c>FunctionContext.GetHttpContext()</c> reads it. A test checks they agree.
    /// </summary>
    public const string HttpContextKey = "HttpRequestContext";

    public InProcessFunctionContext(string invocationId, InProcessFunctionDefinition definition, IServiceProvider services, HttpContext? http, CancellationToken cancellationToken)
    {
        InvocationId = invocationId;
        FunctionDefinition = definition;
        InstanceServices = services;
        CancellationToken = cancellationToken;
        if (http is not null) Items[HttpContextKey] = http;
    }

    public override string InvocationId { get; }
    public override string FunctionId => FunctionDefinition.Id;
    public override TraceContext TraceContext { get; } = new EmptyTraceContext();
    public override BindingContext BindingContext { get; } = new EmptyBindingContext();
    public override RetryContext RetryContext { get; } = new NoRetryContext();
    public override IServiceProvider InstanceServices { get; set; }
    public override FunctionDefinition FunctionDefinition { get; }
    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();
    public override IInvocationFeatures Features { get; } = new InvocationFeatures();
    public override CancellationToken CancellationToken { get; }

    private sealed class EmptyTraceContext : TraceContext
    {
        public override string TraceParent => "";
        public override string TraceState => "";
    }

    private sealed class EmptyBindingContext : BindingContext
    {
        public override IReadOnlyDictionary<string, object?> BindingData { get; } = ImmutableDictionary<string, object?>.Empty;
    }

    private sealed class NoRetryContext : RetryContext
    {
        public override int RetryCount => 0;
        public override int MaxRetryCount => 0;
    }

    private sealed class InvocationFeatures : IInvocationFeatures
    {
        private readonly Dictionary<Type, object> features = [];

        public void Set<T>(T instance) => features[typeof(T)] = instance!;

        public T? Get<T>() => features.TryGetValue(typeof(T), out var value) ? (T)value : default;

        public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => features.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>A function as the worker describes it to middleware: name, id, entry point (<c>Namespace.Class.Method</c>), trigger binding.</summary>
internal sealed class InProcessFunctionDefinition(FunctionInfo function, string assemblyPath) : FunctionDefinition
{
    public override ImmutableArray<FunctionParameter> Parameters => [];
    public override string PathToAssembly { get; } = assemblyPath;
    public override string EntryPoint { get; } = function.EntryPoint;
    public override string Id { get; } = function.Id;
    public override string Name { get; } = function.Name;
    public override IImmutableDictionary<string, BindingMetadata> InputBindings { get; } =
        ImmutableDictionary<string, BindingMetadata>.Empty.Add(function.TriggerBindingName!, new Binding(function.TriggerBindingName!, function.Http is not null ? "httpTrigger" : "timerTrigger"));
    public override IImmutableDictionary<string, BindingMetadata> OutputBindings { get; } = ImmutableDictionary<string, BindingMetadata>.Empty;

    private sealed class Binding(string name, string type) : BindingMetadata
    {
        public override string Name { get; } = name;
        public override string Type { get; } = type;
        public override BindingDirection Direction => BindingDirection.In;
    }
}
