using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Hosting;

namespace PushFunctions.Http;

/// <summary>
/// The checks in front of every HTTP function, written once: worker middleware, one job each, run in the order
/// registered here. Timer invocations have no request and pass none of them.
/// </summary>
public static class FrontDoor
{
    public static IFunctionsWorkerApplicationBuilder UseFrontDoor(this IFunctionsWorkerApplicationBuilder worker) => worker
        // Outermost, so a failure anywhere behind it becomes a problem answer.
        .UseWhen<ErrorMappingMiddleware>(IsHttp)
        // No I/O before the credential is known: size, then the caller's bucket, are checked first.
        .UseWhen<RequestSizeMiddleware>(IsHttp)
        .UseWhen<RateLimitMiddleware>(IsHttp)
        .UseWhen<AuthenticationMiddleware>(IsHttp)
        .UseWhen<PermissionMiddleware>(IsHttp)
        // A user's sessions share one bucket, known once authentication found the user.
        .UseWhen<UserRateLimitMiddleware>(IsHttp);

    /// <summary>An invocation of an HTTP function: the worker's ASP.NET Core integration hands it the request's HttpContext.</summary>
    public static bool IsHttp(FunctionContext context) => context.GetHttpContext() is not null;
}
