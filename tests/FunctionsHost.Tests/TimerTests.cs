using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;
using FunctionsHost.Functions;
using FunctionsHost.Invocations;
using FunctionsHost.Tests.Support;
using FunctionsHost.Timers;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FunctionsHost.Tests;

/// <summary>Azurite for the timer tests, once for the class.</summary>
public sealed class StorageFixture : IAsyncLifetime
{
    public Azurite Azurite { get; private set; } = null!;

    public async Task InitializeAsync() => Azurite = await Azurite.StartOrSharedAsync();

    public async Task DisposeAsync() => await Azurite.DisposeAsync();
}

/// <summary>
/// Timers as the host runs them: one host instance at a time through a blob lease in AzureWebJobsStorage (the host's
/// lock blob), moving to another instance when its holder stops; an occurrence missed while no instance ran fires at
/// once, past due, from the schedule status blob; storage that cannot be reached stops the timers only.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class TimerTests(StorageFixture storage) : IClassFixture<StorageFixture>
{
    /// <summary>The app's timer functions, from its metadata.</summary>
    private static readonly IReadOnlyList<FunctionInfo> AppTimers =
        FunctionInfo.ReadMetadataFile(Path.Combine(Repo.AppDirectory, "functions.metadata")).Where(f => f.Timer is not null).ToList();

    /// <summary>The app's one timer function: the periodic check (every 10 s).</summary>
    private static FunctionInfo PeriodicCheck => Assert.Single(AppTimers, t => t.Name == "periodicCheck");

    [Fact]
    public void The_app_has_one_timer_the_periodic_check()
    {
        Assert.Equal(["periodicCheck"], AppTimers.Select(t => t.Name));
    }

    [Fact]
    public async Task The_periodic_check_runs_on_one_of_two_host_instances_at_a_time_and_moves_to_the_other_when_its_holder_stops()
    {
        var timer = PeriodicCheck;
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage.Azurite.ConnectionString,
            ["AzureFunctionsWebHost__hostid"] = "two-" + Guid.NewGuid().ToString("N")[..12],
            // The host's shortest periods, so the move happens within the test.
            ["AzureFunctionsJobHost__singleton__listenerLockPeriod"] = "00:00:15",
            ["AzureFunctionsJobHost__singleton__listenerLockRecoveryPollingInterval"] = "00:00:15",
        };
        // The app in process (the locks are the host's business, whatever runs the functions); its Redis never answers,
        // so an invocation may fail, and each still counts as one run.
        var first = await TestHost.StartAsync(settings, inProcess: true);
        await using var second = await TestHost.StartAsync(settings, inProcess: true);
        try
        {
            long Runs(TestHost host) =>
                host.Host.Invocations.Count(timer.Name, InvocationStatus.Succeeded) + host.Host.Invocations.Count(timer.Name, InvocationStatus.Failed);
            await second.WaitForAsync(() => Runs(first) + Runs(second) >= 2, TimeSpan.FromSeconds(60), "the periodic check to run twice");
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.True(Runs(first) == 0 ^ Runs(second) == 0, $"{timer.Name} ran {Runs(first)} times on one instance and {Runs(second)} on the other");

            var container = new BlobContainerClient(storage.Azurite.ConnectionString, HostStorage.Container);
            var blobs = container.GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"locks/{settings["AzureFunctionsWebHost__hostid"]}/", default).Select(b => b.Name).ToList();
            Assert.Contains($"locks/{settings["AzureFunctionsWebHost__hostid"]}/Host.Functions.{timer.Name}.Listener", blobs);

            var (holder, other) = Runs(first) > 0 ? (first, second) : (second, first);
            await holder.DisposeAsync(); // gives up its lock
            var before = Runs(other);
            await other.WaitForAsync(() => Runs(other) > before, TimeSpan.FromSeconds(60), "the other instance to take the periodic check");
        }
        finally
        {
            await first.DisposeAsync();
        }
    }

    [Fact]
    public async Task With_its_storage_unreachable_the_host_answers_requests_and_the_periodic_check_waits_saying_why()
    {
        var down = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Convert.ToBase64String(new byte[64])};BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;";
        await using var host = await TestHost.StartAsync(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = down }, inProcess: true);

        var timer = PeriodicCheck;
        await host.WaitForAsync(() => host.Logs.Any($"Timer '{timer.HostName}' waits: the host's storage (AzureWebJobsStorage) cannot be reached"),
            TimeSpan.FromSeconds(60), "the periodic check to say it waits for the storage");
        using var health = await host.Http.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode); // the app's own answer (its Redis is down here)
        Assert.Equal(0, host.Host.Invocations.Count(timer.Name, InvocationStatus.Succeeded) + host.Host.Invocations.Count(timer.Name, InvocationStatus.Failed));
    }

    [Fact]
    public async Task An_occurrence_missed_while_no_instance_ran_fires_at_start_as_past_due_with_the_stored_schedule_status()
    {
        // Every five minutes: often enough to test, rare enough for the host to keep a schedule status.
        var timer = new FunctionInfo("pastDueTimer", "pastDueTimer", "T.M", "T.dll", "dotnet-isolated",
            ["{\"type\":\"timerTrigger\",\"direction\":\"In\",\"name\":\"timer\",\"schedule\":\"0 */5 * * * *\"}"]);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 30, TimeSpan.Zero));
        var hosts = new HostStorage(storage.Azurite.ConnectionString, "pastdue-" + Guid.NewGuid().ToString("N")[..12]);
        var invoker = new RecordingInvoker();
        using var runner = new InvocationRunner(invoker, null, NullLoggerFactory.Instance);
        TimerListener Listener() => new(timer, hosts, runner, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(15), time, NullLogger.Instance);

        // An instance starts, records the next occurrence (12:05) and stops before it.
        using (var stop = new CancellationTokenSource())
        {
            var running = Listener().RunAsync(stop.Token);
            await WaitAsync(async () => await hosts.ReadStatusAsync(timer.HostName, default) is not null, "the first status");
            await stop.CancelAsync();
            await running;
        }
        Assert.Empty(invoker.TimerInfos);

        // Nothing runs through 12:05 and 12:10; an instance starting at 12:11 fires at once, past due.
        time.Advance(TimeSpan.FromMinutes(10.5));
        using (var stop = new CancellationTokenSource())
        {
            var running = Listener().RunAsync(stop.Token);
            await WaitAsync(async () => (await hosts.ReadStatusAsync(timer.HostName, default))?.Last == new DateTime(2026, 12, 7, 12, 11, 0), "the past-due run and its status");
            await stop.CancelAsync();
            await running;
        }

        using var info = JsonDocument.Parse(invoker.TimerInfos.Single());
        Assert.True(info.RootElement.GetProperty("IsPastDue").GetBoolean());
        Assert.Equal(new DateTime(2026, 12, 7, 12, 5, 0), info.RootElement.GetProperty("ScheduleStatus").GetProperty("Next").GetDateTime());
        var after = await hosts.ReadStatusAsync(timer.HostName, default);
        Assert.Equal(new DateTime(2026, 12, 7, 12, 11, 0), after!.Last);
        Assert.Equal(new DateTime(2026, 12, 7, 12, 15, 0), after.Next);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting for {what}.");
            await Task.Delay(50);
        }
    }

    /// <summary>Runs nothing; keeps the TimerInfo JSON of each timer invocation.</summary>
    private sealed class RecordingInvoker : IFunctionInvoker
    {
        public List<string> TimerInfos { get; } = [];

        public Task<InvocationOutcome> InvokeHttpAsync(Invocation invocation, Microsoft.AspNetCore.Http.HttpContext http) => throw new NotSupportedException();

        public Task<InvocationOutcome> InvokeTimerAsync(Invocation invocation, string timerInfoJson)
        {
            lock (TimerInfos) TimerInfos.Add(timerInfoJson);
            return Task.FromResult(InvocationOutcome.Succeeded);
        }

        public Task OnTimeoutAsync(Invocation invocation) => Task.CompletedTask;
    }
}
