using System.Diagnostics;
using System.Net;
using FunctionsHost.Invocations;
using FunctionsHost.Tests.Support;
using FunctionsHost.Worker;

namespace FunctionsHost.Tests;

/// <summary>
/// The worker's faults as the Functions host handles them: a worker that cannot start stops the host at once with its
/// words; one that dies is logged and replaced, until its third exit within 30 minutes stops the host; an invocation past
/// functionTimeout fails and its worker is restarted.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class WorkerFaultTests
{
    [Fact]
    public async Task A_worker_that_refuses_its_settings_stops_the_host_at_once_with_the_apps_message_and_exit_code()
    {
        var started = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<WorkerStartException>(() => TestHost.StartAsync(new Dictionary<string, string?> { ["PushServerKeys"] = "short" }));

        Assert.Contains("PushServerKeys", refused.Message);
        Assert.Contains("exited with code 2", refused.Message);
        Assert.Equal(2, refused.ExitCode);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(60), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task A_worker_killed_while_running_is_logged_and_replaced_and_its_third_exit_in_30_minutes_stops_the_host()
    {
        await using var host = await TestHost.StartAsync();
        var killed = new List<int>();
        for (var exit = 1; exit <= 3; exit++)
        {
            var pid = host.Host.WorkerProcessId!.Value;
            Process.GetProcessById(pid).Kill();
            killed.Add(pid);
            await host.WaitForAsync(() => host.Logs.Any($"Language Worker Process exited with code 137. Pid={pid}."), TimeSpan.FromSeconds(30), $"the host to log that worker {pid} exited");
            if (exit == 3) break;

            // Replaced (after the host's 10 s between restarts for the second one), and serving requests again.
            await host.WaitForAsync(() => host.Host.WorkerProcessId is { } next && !killed.Contains(next), TimeSpan.FromSeconds(90), "a new worker");
            using var health = await host.Http.GetAsync("/api/health");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode); // the app's answer: Redis is down here
            Assert.Contains("\"redis\"", await health.Content.ReadAsStringAsync());
            Assert.False(host.Host.Stopped.IsCompleted);
        }

        Assert.Equal(1, await host.Host.Stopped.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(host.Logs.Any("Exceeded language worker restart retry count"), host.Logs.Tail(10));
    }

    [Fact]
    public async Task An_invocation_past_functionTimeout_fails_with_a_bare_500_and_the_host_restarts_its_worker()
    {
        // Redis accepts the connection and never answers: the send outlasts a one-second functionTimeout.
        using var silentRedis = new SilentPort();
        await using var host = await TestHost.StartAsync(new Dictionary<string, string?>
        {
            ["RedisConnectionString"] = $"127.0.0.1:{silentRedis.Port},abortConnect=false,connectTimeout=2000,syncTimeout=30000,asyncTimeout=30000",
            ["AzureFunctionsJobHost__functionTimeout"] = "00:00:01",
        });
        var worker = host.Host.WorkerProcessId!.Value;
        using var response = await host.PostAsServerAsync("/api/broadcast", "{\"payload\":1}");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, host.Host.Invocations.Count("broadcast", InvocationStatus.Failed));
        Assert.True(host.Logs.Any("Timeout value of 00:00:01 exceeded by function 'Functions.broadcast'"), host.Logs.Tail(10));
        await host.WaitForAsync(() => host.Host.WorkerProcessId is { } next && next != worker, TimeSpan.FromSeconds(90), "the worker to be restarted");
        Assert.False(host.Host.Stopped.IsCompleted, "a deliberate restart is not a worker error");
    }
}
