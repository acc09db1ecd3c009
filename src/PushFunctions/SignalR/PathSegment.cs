namespace PushFunctions.SignalR;

/// <summary>
/// An id (user, group, connection) as exactly one segment of a REST path. <c>Uri.EscapeDataString</c> (what the SDK
/// uses, spec §1.1) leaves <c>.</c> as it is, and a segment that is <c>.</c> or <c>..</c> is a dot segment: System.Uri
/// removes it before the request leaves (RFC 3986 §5.2.4), and Kestrel removes it again after decoding (so
/// <c>%2E%2E</c> is no way around it). <c>users/../:closeConnections</c> would become the hub-wide
/// <c>:closeConnections</c>, a send to user <c>..</c> a broadcast. No escaping survives, so these ids are refused:
/// no other id of the API's alphabet is changed by either (PathSegmentTests checks every short one), and an empty
/// segment would name another route.
/// </summary>
public static class PathSegment
{
    /// <summary>True when <paramref name="value"/> would not reach SignalR Service as itself, in one segment.</summary>
    public static bool IsRewritten(string value) => value is "" or "." or "..";

    /// <summary>The escaped segment; throws rather than build a path that would address something else.</summary>
    /// <exception cref="UnsafePathSegmentException"><paramref name="value"/> is empty, <c>.</c> or <c>..</c>.</exception>
    public static string Escape(string value) =>
        IsRewritten(value) ? throw new UnsafePathSegmentException(value) : Uri.EscapeDataString(value);
}

/// <summary>A REST path was about to address something other than the id it was built for; nothing was sent.</summary>
public sealed class UnsafePathSegmentException(string value)
    : ArgumentException($"'{value}' cannot be one segment of a SignalR Service REST path: URL normalisation would remove it and the call would address another target. Nothing was sent.");
