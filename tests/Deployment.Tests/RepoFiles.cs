using System.Text.Json;

namespace Deployment.Tests;

/// <summary>Finds the repository root (the folder holding PushFunctions.sln) from the test's bin folder.</summary>
public static class RepoFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    public static JsonDocument ReadJson(params string[] parts) =>
        JsonDocument.Parse(Read(parts), new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = false,
        });

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PushFunctions.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Repository root (PushFunctions.sln) not found above " + AppContext.BaseDirectory);
    }
}
