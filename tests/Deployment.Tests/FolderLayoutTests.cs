using System.Text.RegularExpressions;

namespace Deployment.Tests;

/// <summary>
/// The app's folders (one per feature: Sessions, Delivery, Presence, Rooms, Accounts; and the shared ones: SignalR,
/// Redis, Http, Security, Observability, Configuration, Health) depend on each other one way only: no folder
/// imports another that imports it back, directly or around a longer loop. Read from the sources: a
/// <c>using PushFunctions.X;</c> or a qualified <c>PushFunctions.X.</c> in a file of folder Y is Y depending on X.
/// </summary>
public sealed partial class FolderLayoutTests
{
    private static readonly string AppRoot = RepoFiles.PathOf("src", "PushFunctions");

    [Fact]
    public void The_app_has_the_folders_of_the_design()
    {
        Assert.Superset(
            new HashSet<string> { "Sessions", "Delivery", "Presence", "Rooms", "Accounts", "SignalR", "Redis" },
            Dependencies().Keys.ToHashSet());
    }

    [Fact]
    public void No_folder_of_the_app_depends_on_itself_through_others()
    {
        var graph = Dependencies();
        foreach (var start in graph.Keys)
        {
            var loop = LoopFrom(start, graph);
            Assert.True(loop is null, $"folders import each other in a loop: {string.Join(" -> ", loop ?? [])}");
        }
    }

    /// <summary>Each folder of the app and the folders its files name.</summary>
    private static Dictionary<string, HashSet<string>> Dependencies()
    {
        var folders = Directory.GetDirectories(AppRoot).Select(Path.GetFileName)
            .Where(name => name is not ("bin" or "obj" or "Properties") && Directory.GetFiles(Path.Combine(AppRoot, name!), "*.cs").Length > 0)
            .Select(name => name!).ToHashSet(StringComparer.Ordinal);
        return folders.ToDictionary(folder => folder, folder => Directory.GetFiles(Path.Combine(AppRoot, folder), "*.cs")
            .SelectMany(file => Reference().Matches(File.ReadAllText(file)).Select(m => m.Groups["folder"].Value))
            .Where(other => other != folder && folders.Contains(other))
            .ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>A path from <paramref name="start"/> back to itself, or null.</summary>
    private static List<string>? LoopFrom(string start, Dictionary<string, HashSet<string>> graph)
    {
        var path = new List<string> { start };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return Walk(start);

        List<string>? Walk(string folder)
        {
            foreach (var next in graph[folder].Order(StringComparer.Ordinal))
            {
                if (next == start) return [.. path, next];
                if (!seen.Add(next)) continue;
                path.Add(next);
                if (Walk(next) is { } loop) return loop;
                path.RemoveAt(path.Count - 1);
            }
            return null;
        }
    }

    [GeneratedRegex(@"\bPushFunctions\.(?<folder>[A-Z][A-Za-z]*)\b(?=\s*;|\.)")]
    private static partial Regex Reference();
}
