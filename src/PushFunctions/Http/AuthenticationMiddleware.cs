using Microsoft.Azure.Functions.Worker;
using PushFunctions.Observability;
using PushFunctions.Security;

namespace PushFunctions.Http;

/// <summary>
/// Finds who calls a function that declares credentials (<see cref="AcceptsAttribute"/>) and hands it on as the
/// invocation's caller; 401 when no credential or a wrong one is presented. Anonymous functions pass without a caller.
/// </summary>
public sealed class AuthenticationMiddleware(FunctionCatalog functions, Authenticator authenticator, PushTelemetry telemetry) : FrontDoorCheck(telemetry)
{
    public const string MissingCredentials =
        "Credentials are missing: send the server key (x-functions-key), a session token (Authorization: Bearer) or a signed upstream request.";

    protected override async ValueTask<Refusal?> RefusalAsync(FunctionContext context, HttpContext http)
    {
        var function = functions[context.FunctionDefinition.Name];
        if (function.IsAnonymous) return null;
        var authentication = await authenticator.AuthenticateAsync(http.Request, function.Accepts.Contains(Credential.Upstream), http.RequestAborted);
        if (authentication.Caller is not { } caller)
            return new Refusal(StatusCodes.Status401Unauthorized, authentication.Failure ?? MissingCredentials, PushTelemetry.Refusals.Credentials);
        context.SetCaller(caller);
        return null;
    }
}
