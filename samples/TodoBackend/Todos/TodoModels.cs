namespace TodoBackend.Todos;

public sealed record TodoItem(string Id, string Text, bool Done);

public sealed record ChatMessage(string Id, string From, string FromName, string Text, DateTimeOffset SentAt);

public sealed record Member(string UserId, string Name);

/// <summary>
/// A list as the page sees it. <c>Rev</c> counts the list's changes: every push about the list carries
/// the rev it produced, so the page applies rev+1, ignores what it already has, and reloads on a gap.
/// </summary>
public sealed record ListView(string Id, string Name, bool Shared, string OwnerId, string? RoomId, long Rev,
    IReadOnlyList<Member> Members, IReadOnlyList<TodoItem> Todos, IReadOnlyList<ChatMessage> Chat);

public sealed record NewList(string? Name);
public sealed record NewMember(string? Name);
public sealed record NewTodo(string? Text);
public sealed record TodoChange(bool? Done, string? Text);
public sealed record NewChatMessage(string? Text);

/// <summary>One list in memory. Only <see cref="TodoService"/> touches it, under its gate.</summary>
internal sealed class TodoList(string id, string name, string ownerId, bool shared)
{
    public const int ChatHistory = 200;

    public string Id { get; } = id;
    public string Name { get; } = name;
    public string OwnerId { get; } = ownerId;
    public bool Shared { get; } = shared;
    /// <summary>PushFunctions room of a shared list: changes and chat go to its members' devices.</summary>
    public string? RoomId => Shared ? $"list-{Id}" : null;
    public Dictionary<string, string> Members { get; } = new(StringComparer.Ordinal); // userId → name, in join order
    public List<TodoItem> Todos { get; } = [];
    public List<ChatMessage> Chat { get; } = [];
    public long Rev { get; set; }

    public ListView View() => new(Id, Name, Shared, OwnerId, RoomId, Rev,
        [.. Members.Select(m => new Member(m.Key, m.Value))], [.. Todos], [.. Chat]);
}
