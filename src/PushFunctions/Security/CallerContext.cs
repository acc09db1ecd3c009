using Microsoft.Azure.Functions.Worker;

namespace PushFunctions.Security;

/// <summary>How a function gets the caller the front door authenticated (it sits in the invocation's items).</summary>
public static class CallerContext
{
    private const string Key = "PushFunctions.Caller";

    public static void SetCaller(this FunctionContext context, Caller caller) => context.Items[Key] = caller;

    public static Caller GetCaller(this FunctionContext context) =>
        context.TryGetCaller() ?? throw new InvalidOperationException("No caller: the function was invoked without the front door, or declares no [Accepts].");

    /// <summary>The caller, or null for an anonymous function (or before authentication).</summary>
    public static Caller? TryGetCaller(this FunctionContext context) =>
        context.Items.TryGetValue(Key, out var caller) ? caller as Caller : null;

    /// <summary>The session's user, for a function that accepts only sessions.</summary>
    public static PushUser GetUser(this FunctionContext context) =>
        context.GetCaller().User ?? throw new InvalidOperationException("This function needs a session caller.");
}
