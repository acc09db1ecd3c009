using System.Buffers;

namespace PushFunctions.Http;

/// <summary>The one rule for user and room ids (API.md): 1..128 of <c>A-Z a-z 0-9 . _ - @ :</c>.</summary>
public static class Ids
{
    public const int MaxLength = 128;
    public const string Rule = "1 to 128 characters of A-Z a-z 0-9 . _ - @ :";

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-@:");

    public static bool IsValid(string? id) =>
        id is { Length: > 0 and <= MaxLength } && !id.AsSpan().ContainsAnyExcept(Allowed);
}
