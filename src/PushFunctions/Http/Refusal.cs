namespace PushFunctions.Http;

/// <summary>Why the front door refused a request: the answer (problem+json), and the reason it is counted under.</summary>
public sealed record Refusal(int Status, string Title, string? CountedAs = null, TimeSpan? RetryAfter = null);
