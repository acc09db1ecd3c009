using System.Text.Json;

namespace PushFunctions.Delivery;

/// <summary>The body of every send: <c>{payload, from?}</c>.</summary>
public sealed record SendRequest(JsonElement Payload, string? From);
