using Microsoft.AspNetCore.Http.HttpResults;
using PushFunctions.Delivery;
using PushFunctions.Http;
using PushFunctions.Security;

namespace PushFunctions.Presence;

public sealed record OnlineResponse(long OnlineCount, IReadOnlyList<OnlineUser> Users, string? Next);

/// <summary><c>GET /api/online</c> for the main backend and browsers: the count in O(1), the users a page at a time.</summary>
public static class PresenceApi
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public static IEndpointRouteBuilder MapPresence(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/online", Online).RequireAuthorization(Credentials.ServerOrSession);
        return app;
    }

    private static async Task<Results<Ok<OnlineResponse>, ProblemHttpResult>> Online(int? limit, string? after, PresenceStore presence)
    {
        if (limit is < 1 or > MaxPageSize) return Problems.BadRequest($"'limit' must be between 1 and {MaxPageSize}.");
        if (after is not null && !Ids.IsValid(after)) return Problems.BadRequest($"'after' must be a user id ({Ids.Rule}), e.g. the 'next' of the previous page.");
        var page = await presence.PageAsync(limit ?? DefaultPageSize, after);
        return TypedResults.Ok(new OnlineResponse(page.OnlineCount, page.Users, page.Next));
    }
}
