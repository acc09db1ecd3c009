using SignalREmulator.Admin;

namespace SignalREmulator.Rest;

/// <summary>
/// The data-plane <c>api-version</c>s the service's swagger files list (spec §1.1–1.3), and which operation needs
/// which: every 2022-06-01 operation is in every later version; <c>:generateToken</c> arrived in 2022-11-01 and
/// <c>auth/accessKey</c> in 2023-07-01. Anything else is a 400, as an unknown api-version is.
/// </summary>
public static class ApiVersions
{
    public const string V20220601 = "2022-06-01";
    public const string V20221101 = "2022-11-01";
    public const string V20230701 = "2023-07-01";

    public static readonly IReadOnlyList<string> Known = [V20220601, V20221101, V20230701, "2024-01-01", "2024-12-01"];

    /// <summary>Null when <paramref name="version"/> serves <paramref name="operation"/>, else what is wrong.</summary>
    public static string? Check(string version, RestOperation operation)
    {
        if (version.Length == 0)
        {
            // Health answers probes without one (anonymous in the newer definition); every other call needs it.
            return operation.Anonymous ? null : "The api-version query parameter is required.";
        }
        var index = IndexOf(version);
        if (index < 0) return $"The api-version '{version}' is not supported; supported: {string.Join(", ", Known)}.";
        if (index < IndexOf(operation.MinApiVersion))
        {
            return $"The api-version '{version}' does not have the {operation.Name} operation: it needs {operation.MinApiVersion} or later.";
        }
        return null;
    }

    private static int IndexOf(string version)
    {
        for (var i = 0; i < Known.Count; i++)
        {
            if (string.Equals(Known[i], version, StringComparison.Ordinal)) return i;
        }
        return -1;
    }
}
