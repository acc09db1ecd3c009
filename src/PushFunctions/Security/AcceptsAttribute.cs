namespace PushFunctions.Security;

/// <summary>
/// Which credentials a function accepts, declared on the function itself; the front door refuses every other
/// caller before the function runs. A function without it is anonymous (health).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AcceptsAttribute(params Credential[] credentials) : Attribute
{
    public IReadOnlyList<Credential> Credentials { get; } = credentials;
}
