namespace PushFunctions.Security;

/// <summary>The outcome of checking an upstream bearer token; <see cref="Failure"/> says why it was refused.</summary>
public readonly record struct UpstreamBearerResult(bool IsValid, string? Failure)
{
    public static readonly UpstreamBearerResult Valid = new(true, null);
    public static UpstreamBearerResult Invalid(string failure) => new(false, failure);
}
