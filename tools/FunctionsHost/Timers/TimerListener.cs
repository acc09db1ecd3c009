using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Specialized;
using FunctionsHost.Functions;
using FunctionsHost.Invocations;

namespace FunctionsHost.Timers;

/// <summary>
/// One timer function as the host runs it. A listener singleton: only the host instance that holds the lease on the
/// timer's lock blob fires it (lease <c>singleton.listenerLockPeriod</c>, renewed at half of it); the others try
/// again every <c>singleton.listenerLockRecoveryPollingInterval</c>. While it holds the lock it fires on the schedule,
/// one invocation at a time; with the schedule monitor (timers that fire at most once a minute, unless
/// <c>useMonitor</c> is false) it keeps the last and next occurrence in a status blob, so an occurrence missed while
/// no instance ran is fired at once, with <c>IsPastDue</c>, when one starts. The storage being unreachable stops
/// nothing but the timers: they wait, logging why, and start again when it answers.
/// </summary>
public sealed class TimerListener(
    FunctionInfo function,
    HostStorage storage,
    InvocationRunner runner,
    TimeSpan lockPeriod,
    TimeSpan recoveryInterval,
    TimeProvider time,
    ILogger logger)
{
    private static readonly DateTime Never = DateTime.MinValue;
    private readonly TimerSchedule schedule = TimerSchedule.Parse(function.Timer!.Schedule);
    private string? waitingBecause;

    /// <summary>True while this instance holds the timer's lock.</summary>
    public bool Holding { get; private set; }

    public async Task RunAsync(CancellationToken stopping)
    {
        logger.LogInformation("The next 5 occurrences of the '{Function}' schedule (Cron: '{Schedule}') will be:{Occurrences}",
            function.HostName, schedule, NextOccurrences(5));
        var blob = storage.LockBlob(function.HostName);
        while (!stopping.IsCancellationRequested)
        {
            BlobLeaseClient? lease;
            try
            {
                lease = await storage.TryLockAsync(blob, lockPeriod, stopping);
                if (lease is null) Wait($"another host instance holds its lock ({blob})", LogLevel.Information);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                lease = null;
                Wait($"the host's storage (AzureWebJobsStorage) cannot be reached: {FirstLine(e.Message)}", LogLevel.Warning);
            }

            if (lease is null)
            {
                await Delay(recoveryInterval, stopping);
                continue;
            }

            waitingBecause = null;
            Holding = true;
            logger.LogInformation("Timer '{Function}' runs on this host instance: it holds the lease on {Blob}.", function.HostName, blob);
            using var lost = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var renewing = RenewAsync(lease, blob, lost);
            try
            {
                await ListenAsync(lost.Token, stopping);
            }
            finally
            {
                Holding = false;
                await lost.CancelAsync();
                await renewing;
                await ReleaseAsync(lease);
            }
        }
    }

    /// <summary>The host's TimerListener: the past-due check at start, then each occurrence in turn.</summary>
    private async Task ListenAsync(CancellationToken lost, CancellationToken stopping)
    {
        var now = time.GetLocalNow().DateTime;
        var monitor = function.Timer!.UseMonitor && !schedule.FiresMoreThanOncePerMinute(now);
        ScheduleStatus? status = null;
        var pastDue = false;
        if (monitor)
        {
            try
            {
                status = await PastDueCheckAsync(now, stopping);
                pastDue = now > status.Next;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                logger.LogError("Function '{Function}' could not read its timer status: {Problem}", function.HostName, FirstLine(e.Message));
            }
        }
        status ??= new ScheduleStatus(Never, schedule.Next(now), Never);

        if (pastDue)
        {
            logger.LogInformation("Function '{Function}' is past due on startup. Executing now.", function.HostName);
            status = await FireAsync(status, monitor, pastDue: true, runOnStartup: false, stopping);
        }
        else if (function.Timer.RunOnStartup)
        {
            logger.LogInformation("Function '{Function}' is configured to run on startup. Executing now.", function.HostName);
            status = await FireAsync(status, monitor, pastDue: false, runOnStartup: true, stopping);
        }

        while (!lost.IsCancellationRequested)
        {
            var wait = status.Next - time.GetLocalNow().DateTime;
            if (!await Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, lost)) return;
            status = await FireAsync(status, monitor, pastDue: false, runOnStartup: false, stopping);
        }
    }

    private async Task<ScheduleStatus> FireAsync(ScheduleStatus status, bool monitor, bool pastDue, bool runOnStartup, CancellationToken stopping)
    {
        var fired = time.GetLocalNow();
        var timerInfo = JsonSerializer.Serialize(new
        {
            Schedule = new { AdjustForDST = true },
            ScheduleStatus = monitor ? status : null,
            IsPastDue = pastDue,
        });
        await runner.RunAsync(function, $"Timer fired at {fired:o}", invocation => runner.Invoker.InvokeTimerAsync(invocation, timerInfo), stopping);

        // A timer that fired a little early counts from its scheduled time, so the next occurrence is not the same one.
        var at = fired.DateTime;
        if (!pastDue && !runOnStartup && status.Next > at) at = status.Next;
        var next = new ScheduleStatus(at, schedule.Next(at), at);
        if (monitor)
        {
            try
            {
                await storage.WriteStatusAsync(function.HostName, next, stopping);
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                logger.LogError("Function '{Function}' failed to update the timer trigger status: {Problem}", function.HostName, FirstLine(e.Message));
            }
        }
        return next;
    }

    /// <summary>
    /// The host's ScheduleMonitor.CheckPastDueAsync: the status as stored (written first when there is none, and
    /// rewritten when the schedule changed), whose Next, if already passed, makes the timer past due.
    /// </summary>
    private async Task<ScheduleStatus> PastDueCheckAsync(DateTime now, CancellationToken stopping)
    {
        var stored = await storage.ReadStatusAsync(function.HostName, stopping);
        if (stored is null)
        {
            var initial = new ScheduleStatus(Never, schedule.Next(now), now);
            await storage.WriteStatusAsync(function.HostName, initial, stopping);
            return initial;
        }

        var (expected, updated) = stored.Last != Never ? (schedule.Next(stored.Last), stored.Last)
            : stored.LastUpdated != Never ? (schedule.Next(stored.LastUpdated), stored.LastUpdated)
            : (schedule.Next(now), now);
        if (stored.Next == expected) return stored;
        // The schedule changed since the status was written: a next occurrence already passed would fire at once
        // though it never was due under the old schedule, so count from now instead.
        if (now > expected) (expected, updated) = (schedule.Next(now), now);
        var rewritten = new ScheduleStatus(Never, expected, updated);
        await storage.WriteStatusAsync(function.HostName, rewritten, stopping);
        return rewritten;
    }

    private async Task RenewAsync(BlobLeaseClient lease, string blob, CancellationTokenSource lost)
    {
        var renewed = time.GetUtcNow();
        var interval = lockPeriod / 2;
        while (!lost.IsCancellationRequested)
        {
            if (!await Delay(interval, lost.Token)) return;
            try
            {
                await lease.RenewAsync(cancellationToken: lost.Token);
                renewed = time.GetUtcNow();
                interval = lockPeriod / 2;
                continue;
            }
            catch (OperationCanceledException) when (lost.IsCancellationRequested)
            {
                return;
            }
            catch (RequestFailedException e) when (e.Status is >= 400 and < 500)
            {
                logger.LogError("Singleton lock renewal failed for blob '{Blob}' with error code {Status}: the timer '{Function}' stops on this instance.", blob, e.Status, function.HostName);
            }
            catch (Exception e)
            {
                if (time.GetUtcNow() - renewed < lockPeriod - TimeSpan.FromSeconds(1))
                {
                    logger.LogWarning("Singleton lock renewal failed for blob '{Blob}' ({Problem}); trying again.", blob, FirstLine(e.Message));
                    interval = TimeSpan.FromSeconds(1);
                    continue;
                }
                logger.LogError("Singleton lock for blob '{Blob}' expired unrenewed ({Problem}): the timer '{Function}' stops on this instance.", blob, FirstLine(e.Message), function.HostName);
            }
            await lost.CancelAsync();
            return;
        }
    }

    private async Task ReleaseAsync(BlobLeaseClient lease)
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await lease.ReleaseAsync(cancellationToken: limit.Token);
        }
        catch (Exception)
        {
            // It expires by itself within the lock period.
        }
    }

    /// <summary>Logs why the timer is not running, once per reason.</summary>
    private void Wait(string why, LogLevel level)
    {
        if (waitingBecause == why) return;
        waitingBecause = why;
        logger.Log(level, "Timer '{Function}' waits: {Why}. Trying again every {Interval}.", function.HostName, why, recoveryInterval);
    }

    /// <summary>False when cancelled.</summary>
    private async Task<bool> Delay(TimeSpan wait, CancellationToken cancellation)
    {
        try
        {
            await Task.Delay(wait, time, cancellation);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private string NextOccurrences(int count)
    {
        var text = new StringBuilder();
        var at = time.GetLocalNow().DateTime;
        for (var i = 0; i < count; i++)
        {
            at = schedule.Next(at);
            text.Append(Environment.NewLine).Append(at.ToString("MM'/'dd'/'yyyy HH':'mm':'ss"));
        }
        return text.ToString();
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
