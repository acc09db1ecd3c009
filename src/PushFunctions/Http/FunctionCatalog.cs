using System.Collections.Frozen;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using PushFunctions.Security;

namespace PushFunctions.Http;

/// <summary>
/// Every <c>[Function]</c> in this assembly, read once from its attributes: the front door looks up the
/// credentials a function accepts here.
/// </summary>
public sealed class FunctionCatalog
{
    private readonly FrozenDictionary<string, FunctionInfo> byName;

    public FunctionCatalog() : this(typeof(FunctionCatalog).Assembly)
    {
    }

    public FunctionCatalog(Assembly assembly)
    {
        byName = assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>()))
            .Where(f => f.Function is not null)
            .Select(f => new FunctionInfo(f.Function!.Name, f.Method, f.Method.GetCustomAttribute<AcceptsAttribute>()?.Credentials ?? []))
            .ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);
    }

    public IEnumerable<FunctionInfo> All => byName.Values;

    public FunctionInfo this[string name] => byName.TryGetValue(name, out var info)
        ? info
        : throw new InvalidOperationException($"No function named '{name}' in this app.");
}
