using System.Text.Json;

namespace FunctionsHost.Functions;

/// <summary>An HTTP trigger as its binding declares it.</summary>
/// <param name="Methods">Upper case; empty: every method (a trigger that names none takes them all).</param>
public sealed record HttpTrigger(string BindingName, string Route, IReadOnlyList<string> Methods, AuthLevel AuthLevel);

/// <summary>A timer trigger: its six-field NCRONTAB schedule and the options the host reads.</summary>
public sealed record TimerTrigger(string BindingName, string Schedule, bool RunOnStartup, bool UseMonitor);

/// <summary>The binding's <c>authLevel</c>: who the host lets through before the worker sees a request.</summary>
public enum AuthLevel
{
    Anonymous,
    User,
    Function,
    System,
    Admin,
}

/// <summary>
/// One function as the host knows it: from the metadata the worker sends (worker indexing), or from the
/// functions.metadata file the Worker SDK writes beside the app (the same content).
/// </summary>
public sealed record FunctionInfo(string Id, string Name, string EntryPoint, string ScriptFile, string Language, IReadOnlyList<string> RawBindings)
{
    /// <summary>How the host names a function in its logs, lock blobs and schedule-status blobs.</summary>
    public string HostName => $"Functions.{Name}";

    public HttpTrigger? Http { get; } = Bindings(RawBindings).Select(HttpOf).FirstOrDefault(t => t is not null);

    public TimerTrigger? Timer { get; } = Bindings(RawBindings).Select(TimerOf).FirstOrDefault(t => t is not null);

    /// <summary>The route under the host's prefix: the trigger's <c>route</c>, else the function's name (as the host maps it).</summary>
    public string? Route => Http is null ? null : Http.Route.Length > 0 ? Http.Route : Name;

    /// <summary>The trigger binding's name: the key of the trigger's input in an invocation request.</summary>
    public string? TriggerBindingName => Http?.BindingName ?? Timer?.BindingName;

    /// <summary>Every function of a functions.metadata file, with its name as its id.</summary>
    public static IReadOnlyList<FunctionInfo> ReadMetadataFile(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.EnumerateArray().Select(f => new FunctionInfo(
            Text(f, "name")!,
            Text(f, "name")!,
            Text(f, "entryPoint") ?? "",
            Text(f, "scriptFile") ?? "",
            Text(f, "language") ?? "",
            f.GetProperty("bindings").EnumerateArray().Select(b => b.GetRawText()).ToList())).ToList();
    }

    private static IEnumerable<JsonElement> Bindings(IEnumerable<string> raw) => raw.Select(b =>
    {
        using var document = JsonDocument.Parse(b);
        return document.RootElement.Clone();
    });

    private static bool IsType(JsonElement binding, string type) =>
        string.Equals(Text(binding, "type"), type, StringComparison.OrdinalIgnoreCase)
        && !string.Equals(Text(binding, "direction"), "out", StringComparison.OrdinalIgnoreCase);

    private static HttpTrigger? HttpOf(JsonElement binding)
    {
        if (!IsType(binding, "httpTrigger")) return null;
        var methods = Property(binding, "methods") is { ValueKind: JsonValueKind.Array } array
            ? array.EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()).ToList()
            : [];
        var level = Text(binding, "authLevel") is { } text ? Enum.Parse<AuthLevel>(text, ignoreCase: true) : AuthLevel.Function;
        return new HttpTrigger(Text(binding, "name") ?? "req", Text(binding, "route") ?? "", methods, level);
    }

    private static TimerTrigger? TimerOf(JsonElement binding)
    {
        if (!IsType(binding, "timerTrigger")) return null;
        return new TimerTrigger(Text(binding, "name") ?? "timer", Text(binding, "schedule") ?? "",
            Flag(binding, "runOnStartup") ?? false, Flag(binding, "useMonitor") ?? true);
    }

    // Binding JSON is read case-insensitively, as the host does.
    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)) return property.Value;
        return null;
    }

    private static string? Text(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static bool? Flag(JsonElement element, string name) => Property(element, name) switch
    {
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { ValueKind: JsonValueKind.String } text => bool.Parse(text.GetString()!),
        _ => null,
    };
}
