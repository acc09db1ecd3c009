using System.Text.Json;

namespace Deployment.Tests;

/// <summary>One binding of a function, as the Functions host reads it from functions.metadata.</summary>
public sealed record MetadataBinding(string Type, string Direction, string Name, JsonElement Json)
{
    public string Text(string property) =>
        Json.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
}

/// <summary>
/// One function of the <c>functions.metadata</c> file the Worker SDK generates from the [Function] attributes
/// (the build writes it beside PushFunctions.dll; the publish package carries it to the host), reduced to
/// what the host uses: name, entry point, trigger, and for HTTP the methods, route and authorization level.
/// </summary>
public sealed record FunctionMetadata(
    string Name,
    string EntryPoint,
    string ScriptFile,
    string Language,
    IReadOnlyList<MetadataBinding> Bindings)
{
    public MetadataBinding? HttpTrigger => Bindings.SingleOrDefault(b => b.Type == "httpTrigger");
    public MetadataBinding? TimerTrigger => Bindings.SingleOrDefault(b => b.Type == "timerTrigger");

    /// <summary>"Function" or "Anonymous" (the SDK writes the AuthorizationLevel name); empty for a timer.</summary>
    public string AuthLevel => HttpTrigger?.Text("authLevel") ?? "";

    public IReadOnlyList<string> Methods => HttpTrigger is { } trigger && trigger.Json.TryGetProperty("methods", out var m)
        ? m.EnumerateArray().Select(x => x.GetString() ?? "").ToList()
        : [];

    /// <summary>The route as declared, without host.json's prefix.</summary>
    public string Route => HttpTrigger?.Text("route") ?? "";

    /// <summary>The public path: host.json's routePrefix, then the route.</summary>
    public string Path => "/" + string.Join('/', new[] { HostJson.RoutePrefix, Route }.Where(s => s.Length > 0));

    public string Schedule => TimerTrigger?.Text("schedule") ?? "";

    /// <summary>The functions.metadata of the PushFunctions build in this test's configuration (Debug or Release).</summary>
    public static string FilePath { get; } = BuildOutput("functions.metadata");

    /// <summary>A file of src/PushFunctions' build output for this test's configuration and target framework.</summary>
    public static string BuildOutput(string file)
    {
        // This assembly runs from tests/Deployment.Tests/bin/<configuration>/<tfm>/; the project reference built the app the same way.
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        return RepoFiles.PathOf("src", "PushFunctions", "bin", tfm.Parent!.Name, tfm.Name, file);
    }

    public static IReadOnlyList<FunctionMetadata> LoadAll()
    {
        if (!File.Exists(FilePath)) throw new FileNotFoundException("The build wrote no functions.metadata (is the Worker SDK referenced?)", FilePath);
        using var doc = JsonDocument.Parse(File.ReadAllText(FilePath));
        return doc.RootElement.EnumerateArray().Select(Load).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
    }

    private static FunctionMetadata Load(JsonElement function)
    {
        var bindings = function.GetProperty("bindings").EnumerateArray()
            .Select(b => new MetadataBinding(Str(b, "type"), Str(b, "direction"), Str(b, "name"), b.Clone()))
            .ToList();
        return new FunctionMetadata(Str(function, "name"), Str(function, "entryPoint"), Str(function, "scriptFile"), Str(function, "language"), bindings);
    }

    private static string Str(JsonElement e, string property) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
}

/// <summary>host.json at the repository root (the build copies it beside the worker).</summary>
public static class HostJson
{
    public static JsonElement Root() => RepoFiles.ReadJson("host.json").RootElement;

    public static string RoutePrefix { get; } =
        Root().GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString()!.Trim('/');
}
