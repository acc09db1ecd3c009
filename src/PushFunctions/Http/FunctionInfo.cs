using System.Reflection;
using PushFunctions.Security;

namespace PushFunctions.Http;

/// <summary>One of the app's functions, as its attributes declare it.</summary>
public sealed record FunctionInfo(string Name, MethodInfo Method, IReadOnlyList<Credential> Accepts)
{
    public bool IsAnonymous => Accepts.Count == 0;
}
