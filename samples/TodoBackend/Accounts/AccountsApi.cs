using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using TodoBackend.Push;
using TodoBackend.Todos;

namespace TodoBackend.Accounts;

public sealed record SignInRequest(string? Name);

/// <summary>What the page keeps in sessionStorage: its app token for this backend, and its PushFunctions session.</summary>
public sealed record SignInResponse(string UserId, string UserName, string AppToken, string PushUrl, string PushToken, DateTimeOffset PushExpiresAt);

public static class AccountsApi
{
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddSingleton<AccountStore>();
        services.AddAuthentication(AppTokenAuthentication.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, AppTokenAuthentication>(AppTokenAuthentication.SchemeName, null);
        services.AddAuthorization();
        return services;
    }

    /// <summary>The endpoint needs a signed-in user (the app token as a bearer token); 401 otherwise.</summary>
    public static TBuilder RequireDemoUser<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization();

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        app.MapPost("/app/signin", SignIn);
        app.MapPost("/app/signout", SignOut).RequireDemoUser();
        app.MapGet("/app/users", (AccountStore accounts) => TypedResults.Ok(accounts.All())).RequireDemoUser();
        return app;
    }

    /// <summary>
    /// Demo sign-in: a name is enough. Then the main backend's half of the PushFunctions handshake:
    /// POST /api/login with the server key, and the session token (never the key) goes to the page.
    /// </summary>
    private static async Task<Results<Ok<SignInResponse>, ProblemHttpResult>> SignIn(
        SignInRequest? request, HttpContext http, AccountStore accounts, TodoService todos,
        PushFunctionsClient push, IOptions<PushFunctionsOptions> pushOptions, CancellationToken ct)
    {
        if (UserIds.FromName(request?.Name) is not { } userId)
            return TypedResults.Problem(title: "Enter a name with at least one letter or digit.", statusCode: StatusCodes.Status400BadRequest);

        var (user, appToken, _) = accounts.SignIn(userId, UserIds.DisplayName(request!.Name!));
        await todos.EnsurePersonalListAsync(user);
        PushLogin session;
        try
        {
            session = await push.LoginAsync(user.Id, user.Name, DeviceName(http), ct);
        }
        catch (PushFunctionsException e)
        {
            accounts.SignOut(appToken);
            return TypedResults.Problem(title: "Live updates are unavailable right now; try again in a moment.", detail: e.Message,
                statusCode: StatusCodes.Status502BadGateway);
        }
        return TypedResults.Ok(new SignInResponse(user.Id, user.Name, appToken, pushOptions.Value.BrowserUrl, session.SessionToken, session.ExpiresAt));
    }

    private static NoContent SignOut(HttpContext http, AccountStore accounts)
    {
        if (AppTokenAuthentication.Token(http) is { } token) accounts.SignOut(token);
        return TypedResults.NoContent();
    }

    /// <summary>A short label for PushFunctions' session list ("Chrome on Linux" is more than a demo needs).</summary>
    private static string DeviceName(HttpContext http)
    {
        var agent = http.Request.Headers.UserAgent.ToString();
        return agent.Contains("Firefox", StringComparison.Ordinal) ? "firefox"
            : agent.Contains("Chrom", StringComparison.Ordinal) ? "chrome"
            : agent.Contains("Safari", StringComparison.Ordinal) ? "safari"
            : "browser";
    }
}
