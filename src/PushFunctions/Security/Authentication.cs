namespace PushFunctions.Security;

/// <summary>What authentication found: a caller, a presented but wrong credential (with why), or nothing.</summary>
public sealed record Authentication(Caller? Caller, string? Failure)
{
    public static Authentication None { get; } = new(null, null);
    public static Authentication Of(Caller caller) => new(caller, null);
    public static Authentication Failed(string failure) => new(null, failure);
}
