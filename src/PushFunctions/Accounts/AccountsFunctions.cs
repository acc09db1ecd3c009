using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using PushFunctions.Http;
using PushFunctions.Security;

namespace PushFunctions.Accounts;

/// <summary>Account deletion.</summary>
public sealed class AccountsFunctions(AccountService accounts)
{
    [Function("deleteUser")]
    [Accepts(Credential.Server)]
    public Task<Results<Ok<AccountDeleted>, ProblemHttpResult>> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "users/{userId}")] HttpRequest request, string userId) =>
        DeleteAsync(userId);

    [Function("deleteAccountToUpdateOnline")]
    [Accepts(Credential.Server)]
    public async Task<Results<Ok<AccountDeleted>, ProblemHttpResult>> DeleteAccountToUpdateOnline(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "deleteAccountToUpdateOnline")] HttpRequest request)
    {
        var body = await JsonBody.ReadAsync<DeleteAccountToUpdateOnlineRequest>(request);
        if (body.Problem is { } malformed) return malformed;
        return await DeleteAsync(body.Value?.Uid);
    }

    private async Task<Results<Ok<AccountDeleted>, ProblemHttpResult>> DeleteAsync(string? userId)
    {
        if (Problems.InvalidId("userId (or 'uid' in the body)", userId) is { } invalid) return invalid;
        return TypedResults.Ok(await accounts.DeleteAsync(userId!));
    }
}
