namespace PushFunctions.Security;

/// <summary>A value (token, key) could not be fetched; the message names it and gives the cause.</summary>
public sealed class RefreshFailedException(string what, Exception inner)
    : Exception($"Could not get {what}: {inner.Message}", inner);
