using Microsoft.AspNetCore.Http.HttpResults;

namespace PushFunctions.Http;

/// <summary>A request body read as JSON: the value (default for an empty body), or the problem that says what to fix.</summary>
public readonly record struct Body<T>(T? Value, ProblemHttpResult? Problem);
