using System.Buffers;
using PushFunctions.SignalR;

namespace PushFunctions.Http;

/// <summary>
/// The one rule for user and room ids (API.md): 1..128 of <c>A-Z a-z 0-9 . _ - @ :</c>, and not <c>.</c> or <c>..</c>:
/// an id reaches SignalR Service as one segment of a REST path, and URL normalisation removes those two
/// (<see cref="PathSegment"/>), so a call for user <c>..</c> would address the whole hub.
/// </summary>
public static class Ids
{
    public const int MaxLength = 128;
    public const string Rule = "1 to 128 characters of A-Z a-z 0-9 . _ - @ :, and not '.' or '..'";

    /// <summary>Every character an id may hold.</summary>
    public const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-@:";

    private static readonly SearchValues<char> Allowed = SearchValues.Create(Alphabet);

    public static bool IsValid(string? id) =>
        id is { Length: > 0 and <= MaxLength } && !id.AsSpan().ContainsAnyExcept(Allowed) && !PathSegment.IsRewritten(id);
}
