using System.Text;
using System.Text.RegularExpressions;

namespace Deployment.Tests;

/// <summary>
/// A deliberately simple reading of a .bicep file, so that tests can state our intent in the template's own words
/// (which identity gets which role, which setting comes from which parameter); the Bicep CLI (BicepCli) checks
/// that the file compiles. Comments are removed, then the text is cut into top-level statements (a line at column 0
/// starting with param, var, resource, output, module, targetScope, type or func, with the decorator lines just
/// above it). It knows no types and evaluates nothing.
/// </summary>
public sealed partial class BicepFile
{
    public sealed record Statement(string Kind, string Name, string Header, string Body, IReadOnlyList<string> Decorators)
    {
        public bool HasDecorator(string name) => Decorators.Any(d => d.StartsWith("@" + name + "(", StringComparison.Ordinal));
    }

    public sealed record Resource(string Symbol, string Type, string ApiVersion, string Body);

    public IReadOnlyList<Statement> Statements { get; }
    public string Text { get; }

    public BicepFile(string source)
    {
        Text = StripComments(source);
        Statements = Split(Text);
    }

    public static BicepFile Load(params string[] parts) => new(RepoFiles.Read(parts));

    public IEnumerable<Statement> OfKind(string kind) => Statements.Where(s => s.Kind == kind);

    public IReadOnlyDictionary<string, Statement> Params => OfKind("param").ToDictionary(s => s.Name);

    public IReadOnlyDictionary<string, Statement> Outputs => OfKind("output").ToDictionary(s => s.Name);

    public Statement Var(string name) => OfKind("var").Single(s => s.Name == name);

    public IReadOnlyList<Resource> Resources => OfKind("resource")
        .Select(s =>
        {
            var m = ResourceHeader().Match(s.Header);
            if (!m.Success) throw new FormatException("Cannot read resource header: " + s.Header);
            return new Resource(m.Groups["sym"].Value, m.Groups["type"].Value, m.Groups["api"].Value, s.Body);
        })
        .ToList();

    public Resource ResourceOfType(string type) => Resources.Single(r => r.Type == type);

    /// <summary>The string literal given to <c>key: '...'</c> (first match) inside a piece of text.</summary>
    public static string? Property(string text, string key)
    {
        var m = Regex.Match(text, @"(?m)^\s*" + Regex.Escape(key) + @":\s*'(?<v>(?:[^'\\]|\\.)*)'");
        return m.Success ? m.Groups["v"].Value : null;
    }

    /// <summary>The raw expression after <c>key:</c> (to the end of the line) inside a piece of text.</summary>
    public static string? Expression(string text, string key)
    {
        var m = Regex.Match(text, @"(?m)^\s*" + Regex.Escape(key) + @":\s*(?<v>.+?)\s*$");
        return m.Success ? m.Groups["v"].Value : null;
    }

    /// <summary>Objects of the form <c>{ name: '...' value: ... }</c> in an array literal: name → value expression.</summary>
    public static IReadOnlyDictionary<string, string> NameValuePairs(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in Regex.Matches(text, @"\{\s*name:\s*'(?<n>[^']+)'\s*\n\s*value:\s*(?<v>[^\n]+?)\s*\n\s*\}", RegexOptions.Singleline))
        {
            if (!result.TryAdd(m.Groups["n"].Value, m.Groups["v"].Value))
                throw new FormatException("Setting listed twice: " + m.Groups["n"].Value);
        }
        return result;
    }

    private static readonly string[] Keywords = ["param", "var", "resource", "output", "module", "targetScope", "type", "func", "import", "metadata"];

    private static List<Statement> Split(string text)
    {
        var statements = new List<Statement>();
        var decorators = new List<string>();
        string? kind = null, name = null, header = null;
        var body = new StringBuilder();
        var pendingDecorators = new List<string>();

        void Flush()
        {
            if (kind is not null) statements.Add(new Statement(kind, name ?? "", header ?? "", body.ToString(), decorators.ToList()));
            kind = null; name = null; header = null; body.Clear(); decorators.Clear();
        }

        foreach (var line in text.Split('\n'))
        {
            var atColumnZero = line.Length > 0 && !char.IsWhiteSpace(line[0]);
            if (atColumnZero && line.StartsWith('@'))
            {
                Flush();
                pendingDecorators.Add(line.Trim());
                continue;
            }
            var keyword = atColumnZero ? Keywords.FirstOrDefault(k => line.StartsWith(k + " ", StringComparison.Ordinal)) : null;
            if (keyword is not null)
            {
                Flush();
                kind = keyword;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // The identifier only: `func name(args) type => …` has no space after the name.
                name = parts.Length > 1 ? Regex.Match(parts[1], @"^\w*").Value : "";
                header = line.Trim();
                decorators.AddRange(pendingDecorators);
                pendingDecorators.Clear();
            }
            if (kind is not null) body.Append(line).Append('\n');
        }
        Flush();
        return statements;
    }

    /// <summary>Removes // and /* */ comments that are outside single-quoted strings ('https://…' stays).</summary>
    private static string StripComments(string source)
    {
        var sb = new StringBuilder(source.Length);
        var inString = false;
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            if (inString)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < source.Length) { sb.Append(source[++i]); continue; }
                if (c == '\'') inString = false;
                continue;
            }
            if (c == '\'') { inString = true; sb.Append(c); continue; }
            if (c == '/' && i + 1 < source.Length && source[i + 1] == '/')
            {
                while (i < source.Length && source[i] != '\n') i++;
                if (i < source.Length) sb.Append('\n');
                continue;
            }
            if (c == '/' && i + 1 < source.Length && source[i + 1] == '*')
            {
                i += 2;
                while (i + 1 < source.Length && !(source[i] == '*' && source[i + 1] == '/')) i++;
                i++;
                continue;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"^resource\s+(?<sym>\w+)\s+'(?<type>[^'@]+)@(?<api>[^']+)'")]
    private static partial Regex ResourceHeader();
}
