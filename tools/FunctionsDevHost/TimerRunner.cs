using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using NCrontab;

namespace FunctionsDevHost;

/// <summary>
/// Fires one timer function on its NCRONTAB schedule (six fields, seconds first, as the Functions host reads
/// them), through the same middleware as every invocation. Like the host's singleton lock, runs of one timer
/// never overlap; unlike it, each development host fires its own timers (two hosts fire twice).
/// </summary>
internal sealed class TimerRunner(FunctionInvoker function, Func<FunctionExecutionDelegate> pipeline, IServiceScopeFactory scopes, TimeProvider time, ILogger<TimerRunner> logger)
    : BackgroundService
{
    private readonly CrontabSchedule schedule = CrontabSchedule.Parse(function.Timer!.Schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var next = schedule.GetNextOccurrence(now);
            try
            {
                await Task.Delay(next - now, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await using var scope = scopes.CreateAsyncScope();
            var context = new DevFunctionContext(function.Definition, scope.ServiceProvider, http: null, stoppingToken);
            try
            {
                await pipeline()(context);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The host logs a failed invocation and fires again on schedule; so do we.
                logger.LogWarning("Timer function {Function} failed: {Problem}", function.Definition.Name, e.Message);
            }
        }
    }
}
