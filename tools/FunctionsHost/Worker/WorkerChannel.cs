using System.Collections.Concurrent;
using System.Threading.Channels;
using FunctionsHost.Rpc;
using Grpc.Core;

namespace FunctionsHost.Worker;

/// <summary>
/// The host's end of one worker's <c>EventStream</c>: what the host sends (init, metadata request, function loads,
/// invocations, cancellations, terminate) and what it waits for in return, matched by message kind, function id or
/// invocation id. The worker's <c>RpcLog</c> messages are written to the host's log: with FunctionsApplicationBuilder
/// they are the app's log.
/// </summary>
public sealed class WorkerChannel(string workerId, ILoggerFactory loggers)
{
    private readonly Channel<StreamingMessage> outbound = Channel.CreateUnbounded<StreamingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<StreamingMessage.ContentOneofCase, TaskCompletionSource<StreamingMessage>> replies = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<FunctionLoadResponse>> loads = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationResponse>> invocations = new();
    private readonly ConcurrentDictionary<string, ILogger> categoryLoggers = new();
    private volatile string? closedBecause;

    public string WorkerId { get; } = workerId;

    /// <summary>Completes when the worker has opened its stream (sent StartStream).</summary>
    public Task Connected => connected.Task;

    /// <summary>Completes when the stream has ended.</summary>
    public Task Closed => closed.Task;

    /// <summary>Invocations sent and not yet answered.</summary>
    public int Pending => invocations.Count;

    /// <summary>The worker said it stops itself on WorkerTerminate (the host sends it only then).</summary>
    public bool HandlesTerminate { get; set; }

    public bool IsRunning(string invocationId) => invocations.ContainsKey(invocationId);

    /// <summary>Serves the stream until it ends: called by the gRPC service once the worker has sent StartStream.</summary>
    public async Task RunAsync(IAsyncStreamReader<StreamingMessage> reader, IServerStreamWriter<StreamingMessage> writer, CancellationToken cancellation)
    {
        connected.TrySetResult();
        var writing = WriteAsync(writer, cancellation);
        try
        {
            while (await reader.MoveNext(cancellation)) Receive(reader.Current);
            Close("the worker ended its stream");
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or Grpc.Core.RpcException)
        {
            Close($"the stream broke ({e.Message})");
        }
        await writing;
    }

    /// <summary>Sends <paramref name="message"/> and waits for the worker's reply of kind <paramref name="reply"/>.</summary>
    public async Task<StreamingMessage> RequestAsync(StreamingMessage message, StreamingMessage.ContentOneofCase reply, TimeSpan timeout, CancellationToken cancellation)
    {
        var answer = replies.GetOrAdd(reply, _ => new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously));
        Send(message);
        try
        {
            return await answer.Task.WaitAsync(timeout, cancellation);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The worker sent no {reply} within {timeout.TotalSeconds:F0} s.");
        }
        finally
        {
            replies.TryRemove(reply, out _);
        }
    }

    public async Task<FunctionLoadResponse> LoadAsync(FunctionLoadRequest request, TimeSpan timeout, CancellationToken cancellation)
    {
        var answer = loads.GetOrAdd(request.FunctionId, _ => new TaskCompletionSource<FunctionLoadResponse>(TaskCreationOptions.RunContinuationsAsynchronously));
        Send(new StreamingMessage { FunctionLoadRequest = request });
        try
        {
            return await answer.Task.WaitAsync(timeout, cancellation);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The worker did not answer the load of function {request.Metadata.Name} within {timeout.TotalSeconds:F0} s.");
        }
        finally
        {
            loads.TryRemove(request.FunctionId, out _);
        }
    }

    /// <summary>
    /// Sends the invocation and waits for its response. When <paramref name="cancellation"/> fires, the worker gets an
    /// InvocationCancel (it handles them) and the invocation still ends with the worker's response.
    /// </summary>
    public async Task<InvocationResponse> InvokeAsync(InvocationRequest request, CancellationToken cancellation)
    {
        var response = new TaskCompletionSource<InvocationResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        invocations[request.InvocationId] = response;
        if (closedBecause is { } why) Fail(request.InvocationId, why);
        Send(new StreamingMessage { InvocationRequest = request });
        await using var cancel = cancellation.Register(() => Send(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = request.InvocationId } }));
        return await response.Task;
    }

    /// <summary>Asks the worker to stop (it stops its host); the caller kills it after the grace period.</summary>
    public void Terminate(TimeSpan gracePeriod) =>
        Send(new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(gracePeriod) } });

    /// <summary>The stream is gone (or the process is): every waiting request and invocation fails with why.</summary>
    public void Close(string why)
    {
        closedBecause ??= why;
        outbound.Writer.TryComplete();
        var failure = new WorkerGoneException($"Worker {WorkerId}: {closedBecause}");
        foreach (var reply in replies.Values) reply.TrySetException(failure);
        foreach (var load in loads.Values) load.TrySetException(failure);
        foreach (var id in invocations.Keys) Fail(id, closedBecause);
        connected.TrySetException(failure);
        closed.TrySetResult();
    }

    private void Fail(string invocationId, string why)
    {
        if (invocations.TryRemove(invocationId, out var pending))
            pending.TrySetException(new WorkerGoneException($"Worker {WorkerId}: {why}"));
    }

    private void Send(StreamingMessage message) => outbound.Writer.TryWrite(message);

    private async Task WriteAsync(IServerStreamWriter<StreamingMessage> writer, CancellationToken cancellation)
    {
        try
        {
            await foreach (var message in outbound.Reader.ReadAllAsync(cancellation)) await writer.WriteAsync(message, cancellation);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or Grpc.Core.RpcException)
        {
            Close($"writing to the worker failed ({e.Message})");
        }
    }

    private void Receive(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                if (invocations.TryRemove(message.InvocationResponse.InvocationId, out var pending)) pending.TrySetResult(message.InvocationResponse);
                break;
            case StreamingMessage.ContentOneofCase.RpcLog:
                Log(message.RpcLog);
                break;
            case StreamingMessage.ContentOneofCase.FunctionLoadResponse:
                if (loads.TryGetValue(message.FunctionLoadResponse.FunctionId, out var load)) load.TrySetResult(message.FunctionLoadResponse);
                break;
            case StreamingMessage.ContentOneofCase.None:
                break; // a message this host does not use
            default:
                if (replies.TryGetValue(message.ContentCase, out var reply)) reply.TrySetResult(message);
                break;
        }
    }

    /// <summary>Under the worker's own category (the app's logger names), at the worker's level.</summary>
    private void Log(RpcLog log)
    {
        var level = log.Level switch
        {
            RpcLog.Types.Level.Trace => LogLevel.Trace,
            RpcLog.Types.Level.Debug => LogLevel.Debug,
            RpcLog.Types.Level.Information => LogLevel.Information,
            RpcLog.Types.Level.Warning => LogLevel.Warning,
            RpcLog.Types.Level.Error => LogLevel.Error,
            RpcLog.Types.Level.Critical => LogLevel.Critical,
            _ => LogLevel.None,
        };
        if (level == LogLevel.None) return;
        var category = log.Category.Length > 0 ? log.Category : "Worker";
        var target = categoryLoggers.GetOrAdd(category, loggers.CreateLogger);
        if (!target.IsEnabled(level)) return;
        // The worker's exception message is the exception's whole text, stack included.
        if (log.Exception is { } exception)
            target.Log(level, "{Message} | {Exception}", log.Message, exception.Message);
        else
            target.Log(level, "{Message}", log.Message);
    }
}

/// <summary>The worker's stream or process ended while something waited on it.</summary>
public sealed class WorkerGoneException(string message) : Exception(message);
