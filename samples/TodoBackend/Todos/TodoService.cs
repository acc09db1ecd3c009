using System.Security.Cryptography;
using TodoBackend.Accounts;
using TodoBackend.Push;

namespace TodoBackend.Todos;

public enum Outcome { Ok, NotFound, Invalid }

public readonly record struct Result<T>(Outcome Outcome, T? Value = default, string? Problem = null)
{
    public static implicit operator Result<T>(T value) => new(Outcome.Ok, value);
    public static Result<T> NotFound(string problem) => new(Outcome.NotFound, default, problem);
    public static Result<T> Invalid(string problem) => new(Outcome.Invalid, default, problem);
}

/// <summary>
/// Todo lists in memory, and the pushes that keep every open page in step: a change to a personal list goes to the
/// owner's other devices (a private message); a shared list is a PushFunctions room, and its changes and chat are room
/// messages. One gate orders changes and their pushes, so each stream carries a list's revs in order.
/// </summary>
public sealed class TodoService(PushFunctionsClient push, ILogger<TodoService> logger)
{
    public const int MaxTextLength = 200;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, TodoList> _lists = new(StringComparer.Ordinal);

    private static string PersonalListId(string userId) => $"me-{userId}";

    public Task EnsurePersonalListAsync(DemoUser user) => Locked(() =>
    {
        var id = PersonalListId(user.Id);
        if (_lists.ContainsKey(id)) return false;
        var list = new TodoList(id, "My todos", user.Id, shared: false);
        list.Members[user.Id] = user.Name;
        _lists[id] = list;
        return true;
    });

    public Task<IReadOnlyList<ListView>> ListsOfAsync(DemoUser user) => Locked<IReadOnlyList<ListView>>(() =>
        [.. _lists.Values.Where(l => l.Members.ContainsKey(user.Id)).OrderBy(l => l.Shared).Select(l => l.View())]);

    public Task<Result<ListView>> GetAsync(DemoUser user, string listId) => Locked<Result<ListView>>(() =>
        Find(user, listId) is { } list ? list.View() : NotFound<ListView>());

    public Task<Result<ListView>> CreateSharedAsync(DemoUser user, string? name) => LockedAsync<Result<ListView>>(async () =>
    {
        if (Clean(name, 60) is not { } title) return Result<ListView>.Invalid("Give the list a name.");
        var list = new TodoList(NewId(), title, user.Id, shared: true);
        list.Members[user.Id] = user.Name;
        _lists[list.Id] = list;
        await Try(() => push.AddRoomMemberAsync(list.RoomId!, user.Id));
        // The owner's other tabs and devices learn of the list.
        await Try(() => push.SendToUserAsync(user.Id, new { type = "list-added", listId = list.Id, by = user.Id }));
        return list.View();
    });

    public Task<Result<ListView>> AddMemberAsync(DemoUser user, string listId, DemoUser invitee) => LockedAsync<Result<ListView>>(async () =>
    {
        if (Find(user, listId) is not { } list) return NotFound<ListView>();
        if (!list.Shared) return Result<ListView>.Invalid("Only shared lists have members: create a shared list first.");
        if (list.Members.ContainsKey(invitee.Id)) return list.View();
        list.Members[invitee.Id] = invitee.Name;
        var rev = ++list.Rev;
        await Try(() => push.AddRoomMemberAsync(list.RoomId!, invitee.Id));
        await PushAsync(list, user, new { type = "members", listId, rev, members = list.View().Members, by = user.Id });
        await Try(() => push.SendToUserAsync(invitee.Id, new { type = "list-added", listId, by = user.Id, byName = user.Name, name = list.Name }));
        return list.View();
    });

    public Task<Result<TodoItem>> AddTodoAsync(DemoUser user, string listId, string? text) => LockedAsync<Result<TodoItem>>(async () =>
    {
        if (Find(user, listId) is not { } list) return NotFound<TodoItem>();
        if (Clean(text, MaxTextLength) is not { } clean) return Result<TodoItem>.Invalid("A todo needs some text.");
        var todo = new TodoItem(NewId(), clean, false);
        list.Todos.Add(todo);
        await PushAsync(list, user, new { type = "todo", op = "add", listId, rev = ++list.Rev, todo, by = user.Id });
        return todo;
    });

    public Task<Result<TodoItem>> ChangeTodoAsync(DemoUser user, string listId, string todoId, TodoChange change) => LockedAsync<Result<TodoItem>>(async () =>
    {
        if (Find(user, listId) is not { } list) return NotFound<TodoItem>();
        var index = list.Todos.FindIndex(t => t.Id == todoId);
        if (index < 0) return Result<TodoItem>.NotFound("That todo is gone: it was deleted, perhaps on another device.");
        var todo = list.Todos[index];
        if (change.Text is not null)
            todo = todo with { Text = Clean(change.Text, MaxTextLength) ?? todo.Text };
        if (change.Done is { } done) todo = todo with { Done = done };
        list.Todos[index] = todo;
        await PushAsync(list, user, new { type = "todo", op = "update", listId, rev = ++list.Rev, todo, by = user.Id });
        return todo;
    });

    public Task<Result<TodoItem>> DeleteTodoAsync(DemoUser user, string listId, string todoId) => LockedAsync<Result<TodoItem>>(async () =>
    {
        if (Find(user, listId) is not { } list) return NotFound<TodoItem>();
        var index = list.Todos.FindIndex(t => t.Id == todoId);
        if (index < 0) return Result<TodoItem>.NotFound("That todo is gone: it was deleted, perhaps on another device.");
        var todo = list.Todos[index];
        list.Todos.RemoveAt(index);
        await PushAsync(list, user, new { type = "todo", op = "delete", listId, rev = ++list.Rev, todo, by = user.Id });
        return todo;
    });

    public Task<Result<ChatMessage>> SendChatAsync(DemoUser user, string listId, string? text) => LockedAsync<Result<ChatMessage>>(async () =>
    {
        if (Find(user, listId) is not { } list) return NotFound<ChatMessage>();
        if (!list.Shared) return Result<ChatMessage>.Invalid("Chat is for shared lists.");
        if (Clean(text, 500) is not { } clean) return Result<ChatMessage>.Invalid("Type a message first.");
        var message = new ChatMessage(NewId(), user.Id, user.Name, clean, DateTimeOffset.UtcNow);
        list.Chat.Add(message);
        if (list.Chat.Count > TodoList.ChatHistory) list.Chat.RemoveAt(0);
        await PushAsync(list, user, new { type = "chat", listId, rev = ++list.Rev, message, by = user.Id });
        return message;
    });

    /// <summary>Account deletion: the personal list goes; the user leaves every shared list (PushFunctions already removed them from the rooms).</summary>
    public Task ForgetUserAsync(DemoUser user) => LockedAsync(async () =>
    {
        _lists.Remove(PersonalListId(user.Id));
        foreach (var list in _lists.Values.Where(l => l.Members.ContainsKey(user.Id)).ToList())
        {
            list.Members.Remove(user.Id);
            await PushAsync(list, user, new { type = "members", listId = list.Id, rev = ++list.Rev, members = list.View().Members, by = user.Id });
        }
        return true;
    });

    private TodoList? Find(DemoUser user, string listId) =>
        _lists.TryGetValue(listId, out var list) && list.Members.ContainsKey(user.Id) ? list : null;

    private static Result<T> NotFound<T>() => Result<T>.NotFound("No such list, or it is not shared with you.");

    /// <summary>The push that tells the list's other pages about a change. Best effort: the change stands either way, and a page that misses a rev reloads the list.</summary>
    private Task PushAsync(TodoList list, DemoUser by, object payload) =>
        Try(() => list.Shared ? push.SendToRoomAsync(list.RoomId!, payload, by.Id) : push.SendToUserAsync(list.OwnerId, payload));

    private async Task Try(Func<Task> call)
    {
        try { await call(); }
        catch (PushFunctionsException e) { logger.LogWarning("push failed (pages catch up on their next reload): {Error}", e.Message); }
    }

    private async Task<T> Locked<T>(Func<T> read)
    {
        await _gate.WaitAsync();
        try { return read(); }
        finally { _gate.Release(); }
    }

    private async Task<T> LockedAsync<T>(Func<Task<T>> change)
    {
        await _gate.WaitAsync();
        try { return await change(); }
        finally { _gate.Release(); }
    }

    private static string? Clean(string? text, int max)
    {
        var clean = text?.Trim();
        if (string.IsNullOrEmpty(clean)) return null;
        return clean.Length <= max ? clean : clean[..max];
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
}
