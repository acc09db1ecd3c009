using System.Globalization;
using System.Text.RegularExpressions;
using NCrontab;
using PushFunctions.Configuration;

namespace Deployment.Tests;

/// <summary>
/// docs/DEPLOY.md's cost table is worked out from the inputs in its "Inputs" table: when a default of
/// infra/main.bicep, the value infra/main.bicepparam deploys, the app's default presence budget or the timer
/// functions of functions.metadata change, the table's figures are stale, and these tests say which input moved.
/// </summary>
public partial class CostTableTests
{
    /// <summary>The template parameters the figures rest on (SKUs, capacities, memory, always-ready, HA, persistence).</summary>
    public static TheoryData<string> TemplateInputs() =>
    [
        "instanceMemoryMB", "maximumInstanceCount", "alwaysReadyInstances", "signalRSku", "signalRCapacity",
        "redisSku", "redisHighAvailability", "redisPersistence", "logRetentionDays",
    ];

    private static readonly string TimerTicksRow = "timer ticks per month (T)";

    /// <summary>Rows of the table under "### Inputs" in DEPLOY.md's "## Cost": first cell → second cell.</summary>
    private static IReadOnlyDictionary<string, string> Inputs()
    {
        var doc = RepoFiles.Read("docs", "DEPLOY.md");
        var cost = doc.IndexOf("\n## Cost", StringComparison.Ordinal);
        Assert.True(cost >= 0, "docs/DEPLOY.md has no '## Cost' section");
        var start = doc.IndexOf("\n### Inputs", cost, StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/DEPLOY.md's Cost section has no '### Inputs' table");
        var end = doc.IndexOf("\n### ", start + 1, StringComparison.Ordinal);
        return TableRow().Matches(doc[start..(end < 0 ? doc.Length : end)])
            .ToDictionary(m => m.Groups["input"].Value.Trim(), m => m.Groups["value"].Value.Trim());
    }

    /// <summary>The default a parameter declares in infra/main.bicep (`param name type = value`).</summary>
    private static string BicepDefault(string name)
    {
        var header = BicepFile.Load("infra", "main.bicep").Params[name].Header;
        var value = Regex.Match(header, @"=\s*(?<v>.+)$").Groups["v"].Value;
        Assert.False(value.Length == 0, $"infra/main.bicep's {name} has no default");
        return value.Trim().Trim('\'');
    }

    /// <summary>The value infra/main.bicepparam gives a parameter; null when it leaves the default.</summary>
    private static string? BicepparamValue(string name)
    {
        var m = Regex.Match(RepoFiles.Read("infra", "main.bicepparam"), @"(?m)^param\s+" + name + @"\s*=\s*(?<v>.+?)\s*$");
        return m.Success ? m.Groups["v"].Value.Trim('\'') : null;
    }

    [Theory]
    [MemberData(nameof(TemplateInputs))]
    public void Each_template_input_of_the_cost_table_is_what_main_bicep_and_main_bicepparam_deploy(string parameter)
    {
        var inputs = Inputs();
        Assert.True(inputs.TryGetValue($"`{parameter}`", out var value), $"the cost table's inputs have no row for `{parameter}`");
        Assert.True(BicepDefault(parameter) == value,
            $"infra/main.bicep's {parameter} defaults to {BicepDefault(parameter)}, the cost table assumes {value}: work the figures out again");
        if (BicepparamValue(parameter) is { } deployed)
            Assert.True(deployed == value, $"infra/main.bicepparam deploys {parameter} = {deployed}, the cost table assumes {value}");
    }

    [Fact]
    public void The_cost_tables_presence_budget_is_the_apps_default()
    {
        Assert.Equal(new PresenceOptions().OnlinePushBudgetPerSecond.ToString("D", CultureInfo.InvariantCulture),
            Inputs()[$"`{SettingNames.OnlinePushBudgetPerSecond}`"]);
    }

    [Fact]
    public void The_cost_tables_timer_functions_are_those_of_functions_metadata()
    {
        var timers = FunctionMetadata.LoadAll().Where(f => f.TimerTrigger is not null)
            .ToDictionary(f => $"timer `{f.Name}`", f => $"`{f.Schedule}`");
        var documented = Inputs().Where(i => i.Key.StartsWith("timer `", StringComparison.Ordinal))
            .ToDictionary(i => i.Key, i => i.Value);
        Assert.Equal(timers.OrderBy(t => t.Key), documented.OrderBy(t => t.Key));
    }

    [Fact]
    public void The_cost_tables_timer_ticks_are_what_those_schedules_fire_in_a_730_hour_month()
    {
        // Counted over one day with the host's own schedule reading (six fields, seconds first), then scaled.
        var day = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var perDay = FunctionMetadata.LoadAll().Where(f => f.TimerTrigger is not null)
            .Sum(f => CrontabSchedule.Parse(f.Schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true })
                .GetNextOccurrences(day.AddTicks(-1), day.AddDays(1).AddTicks(-1)).Count());
        var perMonth = (long)Math.Round(perDay * 730 / 24.0);
        Assert.Equal(perMonth.ToString("N0", CultureInfo.InvariantCulture), Inputs()[TimerTicksRow]);
    }

    [Fact]
    public void The_inputs_table_is_read()
    {
        // The checks above pass on what they find: prove the reader finds the rows they compare.
        var inputs = Inputs();
        Assert.Equal("Standard_S1", inputs["`signalRSku`"]);
        Assert.Contains(TimerTicksRow, inputs.Keys);
    }

    [GeneratedRegex(@"(?m)^\|\s*(?<input>[^|\n]+?)\s*\|\s*(?<value>[^|\n]+?)\s*\|[^\n]*\|\s*$")]
    private static partial Regex TableRow();
}
