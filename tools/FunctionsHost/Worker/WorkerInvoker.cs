using System.Diagnostics;
using System.Net;
using FunctionsHost.Invocations;
using FunctionsHost.Rpc;
using Yarp.ReverseProxy.Forwarder;

namespace FunctionsHost.Worker;

/// <summary>
/// Runs invocations on the worker process, as the host does with a worker in ASP.NET Core integration mode: an HTTP
/// request is forwarded to the worker's own listener (its HttpUri) with the invocation id in <c>x-ms-invocation-id</c>
/// (the host's DefaultHttpProxyService, YARP's forwarder with its default transforms), and the InvocationRequest goes
/// over gRPC with an empty RpcHttp and the route values as trigger metadata; the worker pairs the two. The invocation
/// is over when both the forwarded response and the InvocationResponse are.
/// </summary>
public sealed class WorkerInvoker(WorkerSupervisor workers, IHttpForwarder forwarder) : IFunctionInvoker, IDisposable
{
    public const string InvocationIdHeader = "x-ms-invocation-id";

    private readonly HttpMessageInvoker client = new(new RetryingHandler(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        ActivityHeadersPropagator = null,
        ConnectTimeout = TimeSpan.FromSeconds(15),
    }));

    // The host's forwarding configuration: an idle forwarded request times out after 240 s.
    private static readonly ForwarderRequestConfig ForwardingConfig = new() { ActivityTimeout = TimeSpan.FromSeconds(240) };

    public async Task<InvocationOutcome> InvokeHttpAsync(Invocation invocation, HttpContext http)
    {
        ReadyWorker worker;
        try
        {
            worker = await workers.ReadyAsync(invocation.Cancellation);
        }
        catch (WorkerGoneException e)
        {
            return InvocationOutcome.Failed(e.Message);
        }

        // As the host: added, not replaced.
        http.Request.Headers.TryAdd(InvocationIdHeader, invocation.Id);
        var forwarding = forwarder.SendAsync(http, worker.HttpUri.AbsoluteUri, client, ForwardingConfig).AsTask();

        var request = Request(invocation, new TypedData { Http = new RpcHttp() }, TraceParent(http));
        foreach (var (name, value) in http.Request.RouteValues)
            if (value?.ToString() is { } text) request.TriggerMetadata[name] = new TypedData { String = text };

        InvocationResponse response;
        try
        {
            response = await worker.Channel.InvokeAsync(request, invocation.Cancellation);
        }
        catch (WorkerGoneException e)
        {
            await forwarding;
            return InvocationOutcome.Failed(e.Message);
        }

        var forwarded = await forwarding;
        if (forwarded != ForwarderError.None)
            return InvocationOutcome.Failed($"Failed to proxy request with ForwarderError: {forwarded} ({http.GetForwarderErrorFeature()?.Exception?.Message})");
        return Result(response);
    }

    public async Task<InvocationOutcome> InvokeTimerAsync(Invocation invocation, string timerInfoJson)
    {
        try
        {
            var worker = await workers.ReadyAsync(invocation.Cancellation);
            var request = Request(invocation, new TypedData { Json = timerInfoJson }, null);
            return Result(await worker.Channel.InvokeAsync(request, invocation.Cancellation));
        }
        catch (WorkerGoneException e)
        {
            return InvocationOutcome.Failed(e.Message);
        }
    }

    public Task OnTimeoutAsync(Invocation invocation)
    {
        workers.ReplaceIfRunning(invocation.Id);
        return Task.CompletedTask;
    }

    private static InvocationRequest Request(Invocation invocation, TypedData trigger, string? traceParent) => new()
    {
        InvocationId = invocation.Id,
        FunctionId = invocation.Function.Id,
        InputData = { new ParameterBinding { Name = invocation.Function.TriggerBindingName!, Data = trigger } },
        TraceContext = new RpcTraceContext
        {
            TraceParent = traceParent ?? Activity.Current?.Id ?? $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-00",
        },
    };

    private static string? TraceParent(HttpContext http) => Activity.Current?.Id ?? http.Request.Headers.TraceParent.FirstOrDefault();

    private static InvocationOutcome Result(InvocationResponse response) => response.Result?.Status switch
    {
        StatusResult.Types.Status.Success => InvocationOutcome.Succeeded,
        StatusResult.Types.Status.Cancelled => new InvocationOutcome(InvocationStatus.Cancelled, "The worker cancelled the invocation."),
        _ => InvocationOutcome.Failed(response.Result?.Exception is { } e ? $"{e.Type}: {e.Message}" : response.Result?.Result ?? "The worker reported a failure."),
    };

    public void Dispose() => client.Dispose();

    /// <summary>
    /// The host's RetryProxyHandler: a request the worker's listener refuses (it opens a moment after the worker has
    /// initialised, and after a restart) is tried again, up to 10 times, 50 ms apart at first and 250 ms at most.
    /// </summary>
    private sealed class RetryingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private const int MaxAttempts = 10;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var delay = TimeSpan.FromMilliseconds(50);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await base.SendAsync(request, cancellationToken);
                }
                catch (HttpRequestException) when (attempt < MaxAttempts)
                {
                    await Task.Delay(delay, cancellationToken);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
                }
            }
        }
    }
}
