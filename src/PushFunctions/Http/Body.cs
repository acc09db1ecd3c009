using Microsoft.AspNetCore.Http.HttpResults;

namespace PushFunctions.Http;

/// <summary>
/// A request body read as JSON: the value (default for an empty body), or the problem that says what to fix; and the
/// body's bytes, which a <see cref="JsonSlice"/> in the value points into.
/// </summary>
public readonly record struct Body<T>(T? Value, ProblemHttpResult? Problem, ReadOnlyMemory<byte> Bytes = default)
{
    /// <summary>The bytes of a value the body holds, as the client sent them (checked UTF-8 and JSON).</summary>
    public ReadOnlyMemory<byte> Of(JsonSlice slice) => Bytes.Slice(slice.Start, slice.Length);
}
