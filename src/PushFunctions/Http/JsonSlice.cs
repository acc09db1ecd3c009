using System.Text.Json.Serialization;

namespace PushFunctions.Http;

/// <summary>
/// Where a JSON value lies in the request body (<see cref="Body{T}.Bytes"/>), as the client sent it: the parser checked
/// it and moved on, so it is never built into objects, turned into a string or copied. <see cref="IsMissing"/> when
/// the body did not have it.
/// </summary>
[JsonConverter(typeof(JsonSliceConverter))]
public readonly record struct JsonSlice(int Start, int Length)
{
    public bool IsMissing => Length == 0;
}
