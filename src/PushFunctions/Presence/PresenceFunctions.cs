using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using PushFunctions.Http;
using PushFunctions.Security;

namespace PushFunctions.Presence;

public sealed record OnlineResponse(long OnlineCount, IReadOnlyList<OnlineUser> Users, string? Next);

/// <summary>
/// Who is online: <c>GET /api/online</c> (the count in O(1), the users a page at a time), and the app's one timer
/// function, which repairs what lost events leave behind without any instance staying alive (<see cref="PeriodicCheck"/>).
/// </summary>
public sealed class PresenceFunctions(PresenceStore presence, PeriodicCheck periodic)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    [Function("online")]
    [Accepts(Credential.Server, Credential.Session)]
    public async Task<Results<Ok<OnlineResponse>, ProblemHttpResult>> Online(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "online")] HttpRequest request)
    {
        var limitText = request.Query["limit"].ToString();
        var after = request.Query.ContainsKey("after") ? request.Query["after"].ToString() : null;
        int? limit = limitText.Length == 0 ? null : int.TryParse(limitText, out var parsed) ? parsed : 0;
        if (limit is < 1 or > MaxPageSize) return Problems.BadRequest($"'limit' must be a whole number between 1 and {MaxPageSize}.");
        if (after is not null && !Ids.IsValid(after)) return Problems.BadRequest($"'after' must be a user id ({Ids.Rule}), e.g. the 'next' of the previous page.");
        var page = await presence.PageAsync(limit ?? DefaultPageSize, after);
        return TypedResults.Ok(new OnlineResponse(page.OnlineCount, page.Users, page.Next));
    }

    [Function("periodicCheck")]
    public async Task Check([TimerTrigger(PeriodicCheck.Schedule)] TimerInfo timer, FunctionContext context) =>
        await periodic.RunAsync(context.CancellationToken);
}
