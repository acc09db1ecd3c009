using Microsoft.AspNetCore.Http.HttpResults;
using TodoBackend.Accounts;

namespace TodoBackend.Todos;

/// <summary>The signed-in user's lists: todos, sharing, and the shared lists' chat.</summary>
public static class TodosApi
{
    public static IServiceCollection AddTodos(this IServiceCollection services) =>
        services.AddSingleton<TodoService>();

    public static RouteGroupBuilder MapTodos(this IEndpointRouteBuilder app)
    {
        var lists = app.MapGroup("/app/lists").RequireDemoUser();
        lists.MapGet("/", async (DemoUser user, TodoService todos) => TypedResults.Ok(await todos.ListsOfAsync(user)));
        lists.MapGet("/{listId}", async (string listId, DemoUser user, TodoService todos) =>
            Reply(await todos.GetAsync(user, listId)));
        lists.MapPost("/", async (NewList body, DemoUser user, TodoService todos) =>
            Created(await todos.CreateSharedAsync(user, body.Name), v => $"/app/lists/{v.Id}"));
        lists.MapPost("/{listId}/members", AddMember);
        lists.MapPost("/{listId}/todos", async (string listId, NewTodo body, DemoUser user, TodoService todos) =>
            Created(await todos.AddTodoAsync(user, listId, body.Text), v => $"/app/lists/{listId}/todos/{v.Id}"));
        lists.MapPatch("/{listId}/todos/{todoId}", async (string listId, string todoId, TodoChange body, DemoUser user, TodoService todos) =>
            Reply(await todos.ChangeTodoAsync(user, listId, todoId, body)));
        lists.MapDelete("/{listId}/todos/{todoId}", async (string listId, string todoId, DemoUser user, TodoService todos) =>
            Reply(await todos.DeleteTodoAsync(user, listId, todoId)));
        lists.MapPost("/{listId}/messages", async (string listId, NewChatMessage body, DemoUser user, TodoService todos) =>
            Created(await todos.SendChatAsync(user, listId, body.Text), v => $"/app/lists/{listId}/messages/{v.Id}"));
        return lists;
    }

    /// <summary>Share a list with someone by name; they must have signed in once (the demo has no invitations by email).</summary>
    private static async Task<Results<Ok<ListView>, ProblemHttpResult>> AddMember(
        string listId, NewMember body, DemoUser user, AccountStore accounts, TodoService todos)
    {
        if (UserIds.FromName(body.Name) is not { } id || accounts.Find(id) is not { } invitee)
            return Problem(404, $"Nobody called '{body.Name?.Trim()}' has signed in yet.");
        return Reply(await todos.AddMemberAsync(user, listId, invitee));
    }

    private static Results<Ok<T>, ProblemHttpResult> Reply<T>(Result<T> result) => result.Outcome switch
    {
        Outcome.Ok => TypedResults.Ok(result.Value),
        Outcome.NotFound => Problem(404, result.Problem),
        _ => Problem(400, result.Problem),
    };

    private static Results<Created<T>, ProblemHttpResult> Created<T>(Result<T> result, Func<T, string> location) => result.Outcome switch
    {
        Outcome.Ok => TypedResults.Created(location(result.Value!), result.Value),
        Outcome.NotFound => Problem(404, result.Problem),
        _ => Problem(400, result.Problem),
    };

    private static ProblemHttpResult Problem(int status, string? title) => TypedResults.Problem(title: title, statusCode: status);
}
