using NCrontab;

namespace FunctionsHost.Timers;

/// <summary>
/// A timer's NCRONTAB schedule, six fields with seconds first, as the host reads it (NCrontab), in local time as the
/// host computes occurrences.
/// </summary>
public sealed class TimerSchedule
{
    private readonly CrontabSchedule schedule;
    private readonly string expression;

    private TimerSchedule(string expression, CrontabSchedule schedule)
    {
        this.expression = expression;
        this.schedule = schedule;
    }

    public static TimerSchedule Parse(string expression)
    {
        var parsed = CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true })
                     ?? throw new FormatException($"The schedule expression '{expression}' was not recognized as a valid cron expression (six fields, seconds first).");
        return new TimerSchedule(expression, parsed);
    }

    public DateTime Next(DateTime after) => schedule.GetNextOccurrence(after);

    /// <summary>
    /// The host keeps no schedule status for a schedule that fires more often than once a minute (every field but the
    /// seconds is '*' and more than one occurrence falls within a minute): such a timer is never past due.
    /// </summary>
    public bool FiresMoreThanOncePerMinute(DateTime now) =>
        expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).All(field => field == "*")
        && schedule.GetNextOccurrences(now, now + TimeSpan.FromMinutes(1)).Take(2).Count() > 1;

    public override string ToString() => expression;
}
