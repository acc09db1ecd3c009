using System.Text.Json;

namespace Deployment.Tests;

/// <summary>One functions/&lt;name&gt;/function.json, reduced to what the host uses for HTTP routing.</summary>
public sealed record FunctionDefinition(
    string Name,
    string AuthLevel,
    IReadOnlyList<string> Methods,
    string Route,
    IReadOnlyList<(string Type, string Direction, string Name)> Bindings)
{
    /// <summary>The public path: host.json has routePrefix "" so the route already carries "api/".</summary>
    public string Path => "/" + Route;

    public static IReadOnlyList<FunctionDefinition> LoadAll()
    {
        var root = RepoFiles.PathOf("functions");
        return Directory.GetDirectories(root)
            .OrderBy(d => d, StringComparer.Ordinal)
            .Select(d => Load(System.IO.Path.GetFileName(d), System.IO.Path.Combine(d, "function.json")))
            .ToList();
    }

    private static FunctionDefinition Load(string name, string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"functions/{name} has no function.json", file);
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var bindings = doc.RootElement.GetProperty("bindings").EnumerateArray().ToList();
        var list = bindings
            .Select(b => (Str(b, "type"), Str(b, "direction"), Str(b, "name")))
            .ToList();
        var trigger = bindings.FirstOrDefault(b => Str(b, "type") == "httpTrigger");
        if (trigger.ValueKind == JsonValueKind.Undefined)
            return new FunctionDefinition(name, "", [], "", list);

        var methods = trigger.TryGetProperty("methods", out var m)
            ? m.EnumerateArray().Select(x => x.GetString() ?? "").ToList()
            : [];
        return new FunctionDefinition(name, Str(trigger, "authLevel"), methods, Str(trigger, "route"), list);
    }

    private static string Str(JsonElement e, string property) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
}
