using Microsoft.Azure.Functions.Worker;
using PushFunctions.Observability;
using PushFunctions.Security;

namespace PushFunctions.Http;

/// <summary>403 when the caller authentication found is a kind of caller the function does not accept.</summary>
public sealed class PermissionMiddleware(FunctionCatalog functions, PushTelemetry telemetry) : FrontDoorCheck(telemetry)
{
    public const string WrongCredentialKind = "These credentials may not call this route.";

    protected override ValueTask<Refusal?> RefusalAsync(FunctionContext context, HttpContext http)
    {
        var function = functions[context.FunctionDefinition.Name];
        return ValueTask.FromResult(function.IsAnonymous || function.Accepts.Contains(context.GetCaller().Credential)
            ? null
            : new Refusal(StatusCodes.Status403Forbidden, WrongCredentialKind, PushTelemetry.Refusals.CredentialKind));
    }
}
