using PushFunctions.Http;

namespace PushFunctions.Delivery;

/// <summary>The body of every send: <c>{payload, from?}</c>. The payload stays where it lies in the body.</summary>
public sealed record SendRequest
{
    public JsonSlice Payload { get; init; }
    public string? From { get; init; }
}
