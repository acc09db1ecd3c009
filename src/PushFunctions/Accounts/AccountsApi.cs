using Microsoft.AspNetCore.Http.HttpResults;
using PushFunctions.Http;
using PushFunctions.Security;

namespace PushFunctions.Accounts;

/// <summary>The old service's call shape, kept so the existing main backend can switch over unchanged.</summary>
public sealed record LegacyDeleteAccountRequest(string? Uid, string? UserName);

/// <summary>Account deletion.</summary>
public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        var server = app.MapGroup("/api").RequireAuthorization(Credentials.Server);
        server.MapDelete("/users/{userId}", (string userId, AccountService accounts) => Delete(userId, accounts));
        server.MapPost("/deleteAccountToUpdateOnline", (LegacyDeleteAccountRequest? request, AccountService accounts) => Delete(request?.Uid, accounts));
        return app;
    }

    private static async Task<Results<Ok<AccountDeleted>, ProblemHttpResult>> Delete(string? userId, AccountService accounts)
    {
        if (Problems.InvalidId("userId ('uid' in the old call shape)", userId) is { } invalid) return invalid;
        return TypedResults.Ok(await accounts.DeleteAsync(userId!));
    }
}
