using System.Collections.Concurrent;
using FunctionsHost.Rpc;
using Grpc.Core;

namespace FunctionsHost.Worker;

/// <summary>
/// The host's gRPC endpoint, <c>FunctionRpc.EventStream</c>: each worker opens one stream and names itself in its
/// first message (StartStream, with the worker id the host gave it on its command line).
/// </summary>
public sealed class FunctionRpcService(WorkerChannels channels, ILogger<FunctionRpcService> logger) : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.ContentCase != StreamingMessage.ContentOneofCase.StartStream)
        {
            logger.LogWarning("A worker stream did not start with StartStream; closed.");
            return;
        }
        var workerId = requestStream.Current.StartStream.WorkerId;
        if (!channels.TryGet(workerId, out var channel))
        {
            logger.LogWarning("A stream from unknown worker {WorkerId}; closed.", workerId);
            return;
        }
        await channel.RunAsync(requestStream, responseStream, context.CancellationToken);
    }
}

/// <summary>The channels of the workers this host started, by worker id.</summary>
public sealed class WorkerChannels
{
    private readonly ConcurrentDictionary<string, WorkerChannel> byId = new();

    public void Add(WorkerChannel channel) => byId[channel.WorkerId] = channel;

    public void Remove(WorkerChannel channel) => byId.TryRemove(channel.WorkerId, out _);

    public bool TryGet(string workerId, out WorkerChannel channel) => byId.TryGetValue(workerId, out channel!);
}
