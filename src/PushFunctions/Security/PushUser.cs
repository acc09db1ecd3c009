using System.Globalization;
using System.Security.Claims;
using PushFunctions.Configuration;

namespace PushFunctions.Security;

/// <summary>The signed-in user behind a session token (as authentication just read it). Handlers take it as a parameter.</summary>
public sealed record PushUser(string UserId, string UserName, string SessionId, DateTimeOffset SessionExpiresAt)
{
    public static ValueTask<PushUser?> BindAsync(HttpContext context) => ValueTask.FromResult(From(context.User));

    public static PushUser? From(ClaimsPrincipal principal) =>
        principal.IsInRole(Credentials.Session)
            ? new PushUser(
                principal.FindFirstValue(Credentials.UserIdClaim)!,
                principal.FindFirstValue(Credentials.UserNameClaim)!,
                principal.FindFirstValue(Credentials.SessionIdClaim)!,
                DateTimeOffset.FromUnixTimeSeconds(long.Parse(principal.FindFirstValue(Credentials.SessionExpiresClaim)!, CultureInfo.InvariantCulture)))
            : null;
}

/// <summary>Who calls a route open to both the main backend and browsers: the user, or null for the server.</summary>
public sealed record Caller(PushUser? User)
{
    public bool IsServer => User is null;

    public static ValueTask<Caller?> BindAsync(HttpContext context) => ValueTask.FromResult<Caller?>(new Caller(PushUser.From(context.User)));
}

public static class AuthorizationSetup
{
    public static IServiceCollection AddPushAuthentication(this IServiceCollection services, PushSettings settings)
    {
        // With local auth disabled the service signs upstream calls with an Entra token instead of X-ASRS-Signature.
        if (UpstreamBearerValidator.Create(settings, TimeProvider.System) is { } upstreamBearer) services.AddSingleton(upstreamBearer);
        services.AddAuthentication(Credentials.Scheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, PushAuthenticationHandler>(Credentials.Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Credentials.Server, p => p.RequireRole(Credentials.Server))
            .AddPolicy(Credentials.Session, p => p.RequireRole(Credentials.Session))
            .AddPolicy(Credentials.Upstream, p => p.RequireRole(Credentials.Upstream))
            .AddPolicy(Credentials.ServerOrSession, p => p.RequireRole(Credentials.Server, Credentials.Session));
        return services;
    }
}
