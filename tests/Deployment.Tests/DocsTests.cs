using System.Text.Json;
using System.Text.RegularExpressions;

namespace Deployment.Tests;

/// <summary>
/// README.md and docs/ name only what exists in this repository: the files and folders they point to, the settings,
/// our types and their members, and the commands they give (scripts, dotnet, node and npm). A rename or a removal
/// that leaves a doc behind fails here, with the doc, its line and what it names.
/// </summary>
public sealed class DocsTests
{
    /// <summary>What the docs may name without it being in the repository: what the build, the scripts or the user make.</summary>
    private static readonly string[] Made =
    [
        ".run/", "artifacts/", "local.settings.json", "functions.metadata", "worker.config.json", "extensions.json",
        "PushFunctions.dll", "released-package.zip", "node_modules/",
    ];

    /// <summary>Types the docs name that are not ours (the platform's, a library's, a JSON document's).</summary>
    private static readonly HashSet<string> NotOurs =
    [
        "Counter", "Host", "IServer", "HttpRequest", "WebApplication", "MeterListener", "TimerInfo",
        "DefaultAzureCredential", "ManagedIdentityCredential", "FunctionsApplication", "Results",
    ];

    private static readonly string[] OurNamespaces = ["PushFunctions", "SignalREmulator", "FunctionsHost", "TodoBackend", "Deployment"];

    /// <summary>Type names ending like these are ours when the docs name them (a test, a store, a middleware...).</summary>
    private static readonly string[] OurTypeEndings =
    [
        "Tests", "Store", "Service", "Functions", "Middleware", "Options", "Script", "Shard", "Notifier", "Queue",
        "Reconciler", "Catalog", "Names", "Telemetry", "Validator", "App",
    ];

    /// <summary>
    /// SignalR Service's own spec: the files, types and words it names are Azure's (its sources are cited by
    /// repository), so only its commands and settings are checked.
    /// </summary>
    private const string ServiceSpec = "docs/signalr-service-spec.md";

    private static readonly string[] TopFolders = [".ci", "bench", "client", "docs", "infra", "samples", "scripts", "src", "tests", "tools"];

    private static readonly Lazy<IReadOnlyList<string>> RepositoryFiles = new(ListFiles);

    private static readonly Lazy<string> Sources = new(() => string.Join('\n', RepositoryFiles.Value
        .Where(f => Regex.IsMatch(f, @"\.(cs|lua|sh|mjs|js|json|bicep|bicepparam|csproj)$") && !f.EndsWith("DocsTests.cs", StringComparison.Ordinal))
        .Select(f => File.ReadAllText(RepoFiles.PathOf(f)))));

    [Fact]
    public void Every_file_or_folder_the_docs_name_exists()
    {
        var missing = new List<string>();
        foreach (var (where, line) in DocLines())
        {
            if (where.Doc == ServiceSpec || CitesAnotherRepository(line)) continue;
            foreach (var path in PathsIn(line).Where(p => !IsMade(p) && !Exists(p, Path.GetDirectoryName(where.Doc)!)))
                missing.Add($"{where}: {path}");
        }
        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    [Fact]
    public void Every_setting_the_docs_name_is_read_somewhere_in_the_repository()
    {
        var settings = Settings.FromApp().ToHashSet(StringComparer.Ordinal);
        var missing = DocLines()
            .SelectMany(l => Spans(l.Line).Where(IsSettingName).Select(span => (l.Where, Span: span)))
            .Where(s => !IsKnownSetting(s.Span, settings))
            .Select(s => $"{s.Where}: {s.Span}")
            .ToList();
        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    [Fact]
    public void Every_type_and_member_of_ours_the_docs_name_exists()
    {
        var missing = new List<string>();
        foreach (var (where, line) in DocLines())
        {
            if (where.Doc == ServiceSpec || CitesAnotherRepository(line)) continue;
            foreach (var span in Spans(line))
            {
                if (Regex.Match(span, TypeReferencePattern) is not { Success: true } reference) continue;
                var names = reference.Groups["name"].Captures.Select(c => c.Value).ToList();
                if (TypeProblem(names) is { } problem) missing.Add($"{where}: `{span}` ({problem})");
            }
        }
        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    [Fact]
    public void Every_command_the_docs_give_runs_something_that_exists()
    {
        var missing = new List<string>();
        foreach (var (where, command) in Commands())
        {
            if (CommandProblem(command) is { } problem) missing.Add($"{where}: `{command}` ({problem})");
        }
        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    private const string HistoryPattern = @"(?i)\bthe old service\b|\bIssue \d+|\bBUG-?\d+|custom handler|function\.json|FUNCTIONS_CUSTOMHANDLER_PORT|PushApp\.Build\b";

    [Fact]
    public void The_docs_say_what_the_code_is_without_history()
    {
        var found = DocLines()
            .Where(l => l.Where.Doc != ServiceSpec && Regex.IsMatch(l.Line, HistoryPattern))
            .Select(l => $"{l.Where}: {Regex.Match(l.Line, HistoryPattern).Value}")
            .ToList();
        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    /// <summary>The docs checked: README.md and every Markdown file under docs/.</summary>
    private static IEnumerable<string> Docs() =>
        new[] { "README.md" }.Concat(RepositoryFiles.Value.Where(f => f.StartsWith("docs/", StringComparison.Ordinal) && f.EndsWith(".md", StringComparison.Ordinal)));

    private sealed record Place(string Doc, int Line)
    {
        public override string ToString() => $"{Doc}:{Line}";
    }

    private static IEnumerable<(Place Where, string Line)> DocLines() =>
        Docs().SelectMany(doc => File.ReadAllLines(RepoFiles.PathOf(doc)).Select((line, i) => (new Place(doc, i + 1), line)));

    private const string CodeSpanPattern = "`([^`]+)`";

    /// <summary>The code spans of a line (<c>`...`</c>).</summary>
    private static IEnumerable<string> Spans(string line) => Regex.Matches(line, CodeSpanPattern).Select(m => m.Groups[1].Value.Trim());

    private const string OtherRepositoryPattern = @"\b(Azure|dotnet|aspnet|MicrosoftDocs|microsoft|Microsoft|centrifugal|davidfowl)/[A-Za-z0-9._-]+";

    /// <summary>A line that cites another repository's files (docs/signalr-service-spec.md's sources): not ours to check.</summary>
    private static bool CitesAnotherRepository(string line) => Regex.IsMatch(line, OtherRepositoryPattern) || line.Contains("[EMU/", StringComparison.Ordinal);

    private const string MarkdownLinkPattern = @"\]\(([^)\s]+)\)";

    /// <summary>A repository path in prose: a top folder, then a path.</summary>
    private const string ProsePathPattern = @"(?<![\w./-])(?:\.ci|bench|client|docs|infra|samples|scripts|src|tests|tools)/[\w./*<>{}-]*[\w*>}/]";

    /// <summary>Paths a line names: code spans that look like a path or a file, links, and repository paths in prose.</summary>
    private static IEnumerable<string> PathsIn(string line)
    {
        foreach (var span in Spans(line))
        {
            foreach (var word in span.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var path = word.Trim(',', ';', ')', '(', '"', '\'');
                if (LooksLikePath(path)) yield return path;
            }
        }
        foreach (Match link in Regex.Matches(line, MarkdownLinkPattern))
        {
            var target = link.Groups[1].Value.Split('#')[0];
            if (target.Length > 0 && !target.Contains("://", StringComparison.Ordinal)) yield return target;
        }
        foreach (Match path in Regex.Matches(Regex.Replace(line, CodeSpanPattern, ""), ProsePathPattern))
            yield return path.Value.TrimEnd('.', ',', ':', ';', ')');
    }

    private const string FileNamePattern = @"^[\w./*<>{},-]*\.(cs|lua|sh|mjs|js|json|bicep|bicepparam|md|csproj|sln|png|yml|yaml)$";

    private static bool LooksLikePath(string word) =>
        word.Length > 2 && !word.Contains("://", StringComparison.Ordinal) && !word.StartsWith('/') && !word.StartsWith('-')
        && !word.Contains('=') && !word.Contains('@') && !word.StartsWith("api/", StringComparison.Ordinal)
        && (Regex.IsMatch(word, FileNamePattern) || TopFolders.Any(top => word.StartsWith(top + "/", StringComparison.Ordinal)));

    private static bool IsMade(string path) =>
        Made.Any(made => path.Contains(made, StringComparison.Ordinal)) || path.Contains("/bin/", StringComparison.Ordinal) && Exists(path[..path.IndexOf("/bin/", StringComparison.Ordinal)], "");

    /// <summary>
    /// A path exists as a file or a folder, from the repository's root, from the doc's folder, or as the end of a
    /// repository path (<c>Http/FrontDoor.cs</c>, <c>host.json</c>); <c>&lt;x&gt;</c>, <c>{x}</c> and <c>*</c> stand for any name.
    /// </summary>
    private static bool Exists(string path, string docFolder)
    {
        var trimmed = path.TrimEnd('/');
        foreach (var start in new[] { trimmed, FromRoot(Path.Combine(docFolder, trimmed)) })
        {
            if (RepositoryFiles.Value.Any(f => f == start || f.StartsWith(start + "/", StringComparison.Ordinal))) return true;
        }
        var pattern = new Regex("(^|/)" + Wildcards(trimmed) + "(/|$)");
        return RepositoryFiles.Value.Any(pattern.IsMatch);
    }

    private static string FromRoot(string path) =>
        Path.GetRelativePath(RepoFiles.Root, Path.GetFullPath(Path.Combine(RepoFiles.Root, path))).Replace('\\', '/');

    /// <summary>A pattern for a path in which <c>*</c>, <c>&lt;x&gt;</c> and <c>{x}</c> stand for any name.</summary>
    private static string Wildcards(string path) => Regex.Replace(Regex.Escape(path), @"\\\*|<[^>]*>|\\\{[^}]*}", "[^/]*");

    /// <summary><c>Section__Key</c>, and environment-style names (<c>PUSH_APP_PORT</c>).</summary>
    private const string SectionSettingPattern = @"^[A-Z][A-Za-z0-9]*__[A-Za-z0-9_*]+$";

    private const string EnvironmentNamePattern = @"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$";

    private static bool IsSettingName(string span) => Regex.IsMatch(span, SectionSettingPattern) || Regex.IsMatch(span, EnvironmentNamePattern);

    /// <summary>A setting the app reads (a <c>*</c> in the name stands for any part of it), or a name some source file uses.</summary>
    private static bool IsKnownSetting(string name, IReadOnlySet<string> settings) =>
        settings.Contains(name)
        || name.Contains('*') && settings.Any(s => Regex.IsMatch(s, "^" + Regex.Escape(name).Replace(@"\*", ".*") + "$"))
        || Regex.IsMatch(Sources.Value, $@"\b{Regex.Escape(name)}\b")
        // Another program's options class: its section named in a file that binds the key (samples/TodoBackend's).
        || name.Split("__") is [var section, var key] && RepositoryFiles.Value.Where(f => f.EndsWith(".cs", StringComparison.Ordinal))
            .Select(f => File.ReadAllText(RepoFiles.PathOf(f)))
            .Any(code => code.Contains($"\"{section}\"", StringComparison.Ordinal) && Regex.IsMatch(code, $@"\b{Regex.Escape(key)}\b"));

    /// <summary><c>Type</c>, <c>Type.Member</c>, <c>A.B.Type.Member(args)</c> or <c>Type&lt;T&gt;</c>: PascalCase names joined by dots.</summary>
    private const string TypeReferencePattern = @"^(?<name>[A-Z][A-Za-z0-9]*)(?:<[^>]*>)?(?:\.(?<name>[A-Z][A-Za-z0-9]*))*(?:\(.*\))?$";

    /// <summary>Why a type reference (<c>Type</c>, <c>Type.Member</c>, <c>Namespace.Type.Member(...)</c>) names nothing of ours, or null.</summary>
    private static string? TypeProblem(IReadOnlyList<string> names)
    {
        if (names[0] is "System" or "Microsoft" or "Azure" or "OpenTelemetry" or "StackExchange" or "Polly" or "NCrontab") return null;
        if (names.Count == 1 && OurNamespaces.Contains(names[0])) return null; // the app's (or a tool's) name
        var ours = OurNamespaces.Contains(names[0]);
        var typeAt = Enumerable.Range(0, names.Count).FirstOrDefault(i => TypeFiles(names[i]).Count > 0, -1);
        if (typeAt < 0)
        {
            var looksOurs = ours && names.Count > 1 || OurTypeEndings.Any(e => names[0].EndsWith(e, StringComparison.Ordinal));
            return looksOurs && !NotOurs.Contains(names[0]) ? "no such type" : null;
        }
        if (typeAt + 1 >= names.Count) return null;
        var member = names[typeAt + 1];
        return TypeFiles(names[typeAt]).Any(f => Regex.IsMatch(File.ReadAllText(RepoFiles.PathOf(f)), $@"\b{Regex.Escape(member)}\b"))
            ? null
            : $"{names[typeAt]} has no member {member}";
    }

    /// <summary>The C# files that declare a type of that name.</summary>
    private static IReadOnlyList<string> TypeFiles(string name) =>
        TypeDeclarations.Value.TryGetValue(name, out var files) ? files : [];

    private const string TypeDeclarationPattern = @"\b(?:class|record|struct|interface|enum)\s+(?<name>[A-Z][A-Za-z0-9]*)";

    private static readonly Lazy<Dictionary<string, List<string>>> TypeDeclarations = new(() => RepositoryFiles.Value
        .Where(f => f.EndsWith(".cs", StringComparison.Ordinal))
        .SelectMany(f => Regex.Matches(File.ReadAllText(RepoFiles.PathOf(f)), TypeDeclarationPattern).Select(m => (Name: m.Groups["name"].Value, File: f)))
        .GroupBy(d => d.Name)
        .ToDictionary(g => g.Key, g => g.Select(d => d.File).Distinct().ToList(), StringComparer.Ordinal));

    private const string CommandStartPattern = @"^(bash |cd |dotnet (test|build|run|publish) |node |npm run |scripts/)";

    /// <summary>Commands the docs give: the lines of shell code blocks, and code spans that start with a command.</summary>
    private static IEnumerable<(Place Where, string Command)> Commands()
    {
        foreach (var doc in Docs())
        {
            var inShell = false;
            var lines = File.ReadAllLines(RepoFiles.PathOf(doc));
            for (var i = 0; i < lines.Length; i++)
            {
                var where = new Place(doc, i + 1);
                if (lines[i].StartsWith("```", StringComparison.Ordinal))
                {
                    inShell = !inShell && lines[i] is "```bash" or "```sh" or "```";
                    continue;
                }
                if (inShell && lines[i].Trim() is { Length: > 0 } code && !code.StartsWith('#')) yield return (where, code.Split(" #")[0]);
                else if (!inShell)
                {
                    foreach (var span in Spans(lines[i]).Where(s => Regex.IsMatch(s, CommandStartPattern))) yield return (where, span);
                }
            }
        }
    }

    /// <summary>Why a command line names something that does not exist, or null.</summary>
    private static string? CommandProblem(string line)
    {
        var folder = "";
        foreach (var part in Regex.Split(line, @"&&|\|\||;|\|"))
        {
            var words = part.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(w => Regex.IsMatch(w, "^[A-Z_][A-Z0-9_]*=")).ToList();
            if (words.Count == 0) continue;
            var args = words.Skip(1).Where(w => !w.StartsWith('-') && !w.StartsWith('<') && !w.Contains('=') && !w.Contains('$')).ToList();
            string? Missing(string path) => IsMade(path) || Exists(Path.Combine(folder, path).Replace('\\', '/'), "") ? null : $"no {Path.Combine(folder, path)}";
            var problem = words[0] switch
            {
                "cd" when args.Count > 0 => Missing(args[0]),
                "bash" when args.Count > 0 => Missing(args[0]),
                "dotnet" when args.Count > 0 && args[0] is "test" or "build" or "run" or "publish" && args.Count > 1 => Missing(args[1]),
                "dotnet" when args.Count > 0 && args[0].EndsWith(".dll", StringComparison.Ordinal) => Missing(args[0]),
                "node" => args.Where(a => a.EndsWith(".mjs", StringComparison.Ordinal) || a.EndsWith(".js", StringComparison.Ordinal))
                    .Select(Missing).FirstOrDefault(p => p is not null),
                "npm" when args.Count > 1 && args[0] == "run" => NpmScriptProblem(folder, args[1]),
                var program when program.EndsWith(".sh", StringComparison.Ordinal) => Missing(program),
                _ => null,
            };
            if (problem is not null) return problem;
            if (words[0] == "cd" && args.Count > 0) folder = Path.Combine(folder, args[0]).Replace('\\', '/');
        }
        return null;
    }

    private static string? NpmScriptProblem(string folder, string script)
    {
        var package = RepoFiles.PathOf(folder, "package.json");
        if (!File.Exists(package)) return $"no {folder}/package.json";
        using var json = JsonDocument.Parse(File.ReadAllText(package));
        return json.RootElement.TryGetProperty("scripts", out var scripts) && scripts.TryGetProperty(script, out _)
            ? null
            : $"{folder}/package.json has no script {script}";
    }

    /// <summary>Every file below the repository's root, as a path from it, leaving out what builds and runs make.</summary>
    private static IReadOnlyList<string> ListFiles()
    {
        string[] skipped = [".git", "bin", "obj", "node_modules", ".run", "artifacts", "TestResults"];
        var files = new List<string>();
        var folders = new Stack<string>([RepoFiles.Root]);
        while (folders.TryPop(out var folder))
        {
            foreach (var sub in Directory.GetDirectories(folder).Where(d => !skipped.Contains(Path.GetFileName(d)))) folders.Push(sub);
            files.AddRange(Directory.GetFiles(folder).Select(f => Path.GetRelativePath(RepoFiles.Root, f).Replace('\\', '/')));
        }
        return files;
    }
}
