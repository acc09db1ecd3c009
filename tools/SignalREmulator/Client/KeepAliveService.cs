using SignalREmulator.Groups;

namespace SignalREmulator.Client;

/// <summary>
/// One timer for all connections: pings a connection that has been silent for the keep-alive interval
/// and closes one that sent nothing for the client timeout (15 s and 30 s, as the service and emulator do).
/// </summary>
public sealed class KeepAliveService(EmulatorOptions options, HubRegistry hubs, HubFrames frames, ILogger<KeepAliveService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var keepAlive = (long)options.KeepAliveInterval.TotalMilliseconds;
        var timeout = (long)options.ClientTimeout.TotalMilliseconds;
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(keepAlive / 4, 50, 1000));
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = Environment.TickCount64;
                foreach (var hub in hubs.Hubs)
                {
                    foreach (var connection in hub.AllConnections())
                    {
                        if (now - connection.LastReceive >= timeout)
                        {
                            logger.LogInformation("Connection {ConnectionId} timed out", connection.Id);
                            connection.Close("Server timeout elapsed without receiving a message from the client.",
                                frames.Close("Server timeout elapsed without receiving a message from the client."));
                        }
                        else if (now - connection.LastWrite >= keepAlive)
                        {
                            connection.TrySend(frames.Ping);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
