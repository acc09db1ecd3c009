using Microsoft.AspNetCore.Http.HttpResults;
using TodoBackend.Accounts;
using TodoBackend.Push;
using TodoBackend.Todos;

namespace TodoBackend.Admin;

public sealed record NoticeRequest(string? Text);

public sealed record NoticeSent(string Id, long Seq);

/// <summary>
/// The demo's admin actions: a notice to everyone (a PushFunctions broadcast) and account deletion. A real backend
/// would check an admin role here; in the demo every signed-in user may use them.
/// </summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/app/admin").RequireDemoUser();
        admin.MapPost("/notices", SendNotice);
        admin.MapDelete("/users/{userId}", DeleteAccount);
        return admin;
    }

    private static async Task<Results<Accepted<NoticeSent>, ProblemHttpResult>> SendNotice(
        NoticeRequest body, DemoUser user, PushFunctionsClient push, CancellationToken ct)
    {
        var text = body.Text?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > 300)
            return TypedResults.Problem(title: "A notice needs 1 to 300 characters.", statusCode: 400);
        try
        {
            var sent = await push.BroadcastAsync(new { type = "notice", text, by = user.Id, byName = user.Name }, ct);
            return TypedResults.Accepted((string?)null, new NoticeSent(sent.Id, sent.Seq));
        }
        catch (PushFunctionsException e)
        {
            return TypedResults.Problem(title: "The notice could not be sent; try again.", detail: e.Message, statusCode: 502);
        }
    }

    /// <summary>PushFunctions first (it revokes the sessions and sends the open pages to sign-in), then this backend's data.</summary>
    private static async Task<Results<Ok<AccountDeleted>, ProblemHttpResult>> DeleteAccount(
        string userId, AccountStore accounts, TodoService todos, PushFunctionsClient push, CancellationToken ct)
    {
        if (accounts.Find(userId) is not { } target)
            return TypedResults.Problem(title: $"There is no account '{userId}'.", statusCode: 404);
        AccountDeleted deleted;
        try
        {
            deleted = await push.DeleteUserAsync(userId, ct);
        }
        catch (PushFunctionsException e)
        {
            return TypedResults.Problem(title: "The account could not be deleted; try again.", detail: e.Message, statusCode: 502);
        }
        accounts.Delete(userId);
        await todos.ForgetUserAsync(target);
        return TypedResults.Ok(deleted);
    }
}
