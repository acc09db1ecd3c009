using SignalREmulator.Admin;

namespace SignalREmulator.Rest;

/// <summary>Maps the data-plane REST API: api-version paths under <c>/api</c> (spec §1.2–1.3) and legacy <c>/api/v1</c> (§1.4).</summary>
public static class RestApi
{
    private static readonly string[] Existence = [HttpMethods.Get, HttpMethods.Head];

    public static IEndpointRouteBuilder MapRestApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapMethods("/health", Existence, () => Results.Ok()).WithMetadata(RestOperations.Health);

        var hub = api.MapGroup("/hubs/{hub}");
        hub.MapPost("/:send", (HttpContext c, string hub, RestHandlers h) => h.SendToHub(c, hub)).WithMetadata(RestOperations.SendToHub);
        hub.MapPost("/users/{user}/:send", (HttpContext c, string hub, string user, RestHandlers h) => h.SendToUser(c, hub, user)).WithMetadata(RestOperations.SendToUser);
        hub.MapPost("/connections/{connectionId}/:send", (HttpContext c, string hub, string connectionId, RestHandlers h) => h.SendToConnection(c, hub, connectionId)).WithMetadata(RestOperations.SendToConnection);
        hub.MapPost("/groups/{group}/:send", (HttpContext c, string hub, string group, RestHandlers h) => h.SendToGroup(c, hub, group)).WithMetadata(RestOperations.SendToGroup);

        hub.MapPut("/groups/{group}/connections/{connectionId}", (HttpContext c, string hub, string group, string connectionId, RestHandlers h) => h.AddConnectionToGroup(c, hub, group, connectionId)).WithMetadata(RestOperations.AddConnectionToGroup);
        hub.MapDelete("/groups/{group}/connections/{connectionId}", (HttpContext c, string hub, string group, string connectionId, RestHandlers h) => h.RemoveConnectionFromGroup(c, hub, group, connectionId)).WithMetadata(RestOperations.RemoveConnectionFromGroup);
        hub.MapDelete("/connections/{connectionId}/groups", (HttpContext c, string hub, string connectionId, RestHandlers h) => h.RemoveConnectionFromAllGroups(c, hub, connectionId)).WithMetadata(RestOperations.RemoveConnectionFromAllGroups);

        hub.MapPut("/users/{user}/groups/{group}", (HttpContext c, string hub, string user, string group, RestHandlers h) => h.AddUserToGroup(c, hub, user, group, StatusCodes.Status200OK)).WithMetadata(RestOperations.AddUserToGroup);
        hub.MapDelete("/users/{user}/groups/{group}", (HttpContext c, string hub, string user, string group, RestHandlers h) => h.RemoveUserFromGroup(c, hub, user, group, StatusCodes.Status204NoContent)).WithMetadata(RestOperations.RemoveUserFromGroup);
        hub.MapMethods("/users/{user}/groups/{group}", Existence, (HttpContext c, string hub, string user, string group, RestHandlers h) => h.UserInGroup(c, hub, user, group)).WithMetadata(RestOperations.UserInGroup);
        hub.MapDelete("/users/{user}/groups", (HttpContext c, string hub, string user, RestHandlers h) => h.RemoveUserFromAllGroups(c, hub, user, StatusCodes.Status204NoContent)).WithMetadata(RestOperations.RemoveUserFromAllGroups);

        hub.MapMethods("/connections/{connectionId}", Existence, (HttpContext c, string hub, string connectionId, RestHandlers h) => h.ConnectionExists(c, hub, connectionId)).WithMetadata(RestOperations.ConnectionExists);
        hub.MapMethods("/users/{user}", Existence, (HttpContext c, string hub, string user, RestHandlers h) => h.UserExists(c, hub, user)).WithMetadata(RestOperations.UserExists);
        hub.MapMethods("/groups/{group}", Existence, (HttpContext c, string hub, string group, RestHandlers h) => h.GroupExists(c, hub, group)).WithMetadata(RestOperations.GroupExists);

        hub.MapDelete("/connections/{connectionId}", (HttpContext c, string hub, string connectionId, RestHandlers h) => h.CloseConnection(c, hub, connectionId, StatusCodes.Status200OK)).WithMetadata(RestOperations.CloseConnection);
        hub.MapPost("/:closeConnections", (HttpContext c, string hub, RestHandlers h) => h.CloseHubConnections(c, hub)).WithMetadata(RestOperations.CloseHubConnections);
        hub.MapPost("/groups/{group}/:closeConnections", (HttpContext c, string hub, string group, RestHandlers h) => h.CloseGroupConnections(c, hub, group)).WithMetadata(RestOperations.CloseGroupConnections);
        hub.MapPost("/users/{user}/:closeConnections", (HttpContext c, string hub, string user, RestHandlers h) => h.CloseUserConnections(c, hub, user)).WithMetadata(RestOperations.CloseUserConnections);

        hub.MapPost("/:generateToken", (HttpContext c, string hub, RestHandlers h) => h.GenerateToken(c, hub)).WithMetadata(RestOperations.GenerateToken);
        api.MapGet("/auth/accessKey", (RestHandlers h) => h.GetAccessKey()).WithMetadata(RestOperations.GetAccessKey);

        MapLegacy(api.MapGroup("/v1"));
        return app;
    }

    // v1 has its own paths and a few different success codes (202 where 2022-06-01 says 200/204).
    private static void MapLegacy(RouteGroupBuilder v1)
    {
        v1.MapMethods("/health", Existence, () => Results.Ok()).WithMetadata(RestOperations.Health);
        // What the SDK calls for a temporary access key (spec §2.3).
        v1.MapGet("/auth/accessKey", (RestHandlers h) => h.GetAccessKey()).WithMetadata(RestOperations.GetAccessKey);
        var hub = v1.MapGroup("/hubs/{hub}");
        hub.MapPost("", (HttpContext c, string hub, RestHandlers h) => h.SendToHub(c, hub)).WithMetadata(RestOperations.SendToHub);
        hub.MapPost("/users/{user}", (HttpContext c, string hub, string user, RestHandlers h) => h.SendToUser(c, hub, user)).WithMetadata(RestOperations.SendToUser);
        hub.MapPost("/connections/{connectionId}", (HttpContext c, string hub, string connectionId, RestHandlers h) => h.SendToConnection(c, hub, connectionId)).WithMetadata(RestOperations.SendToConnection);
        hub.MapPost("/groups/{group}", (HttpContext c, string hub, string group, RestHandlers h) => h.SendToGroup(c, hub, group)).WithMetadata(RestOperations.SendToGroup);

        hub.MapMethods("/connections/{connectionId}", Existence, (HttpContext c, string hub, string connectionId, RestHandlers h) => h.ConnectionExists(c, hub, connectionId)).WithMetadata(RestOperations.ConnectionExists);
        hub.MapDelete("/connections/{connectionId}", (HttpContext c, string hub, string connectionId, RestHandlers h) => h.CloseConnection(c, hub, connectionId, StatusCodes.Status202Accepted)).WithMetadata(RestOperations.CloseConnection);
        hub.MapMethods("/groups/{group}", Existence, (HttpContext c, string hub, string group, RestHandlers h) => h.GroupExists(c, hub, group)).WithMetadata(RestOperations.GroupExists);
        hub.MapMethods("/users/{user}", Existence, (HttpContext c, string hub, string user, RestHandlers h) => h.UserExists(c, hub, user)).WithMetadata(RestOperations.UserExists);

        hub.MapPut("/groups/{group}/connections/{connectionId}", (HttpContext c, string hub, string group, string connectionId, RestHandlers h) => h.AddConnectionToGroup(c, hub, group, connectionId)).WithMetadata(RestOperations.AddConnectionToGroup);
        hub.MapDelete("/groups/{group}/connections/{connectionId}", (HttpContext c, string hub, string group, string connectionId, RestHandlers h) => h.RemoveConnectionFromGroup(c, hub, group, connectionId)).WithMetadata(RestOperations.RemoveConnectionFromGroup);

        hub.MapMethods("/groups/{group}/users/{user}", Existence, (HttpContext c, string hub, string group, string user, RestHandlers h) => h.UserInGroup(c, hub, user, group)).WithMetadata(RestOperations.UserInGroup);
        hub.MapPut("/groups/{group}/users/{user}", (HttpContext c, string hub, string group, string user, RestHandlers h) => h.AddUserToGroup(c, hub, user, group, StatusCodes.Status202Accepted)).WithMetadata(RestOperations.AddUserToGroup);
        hub.MapDelete("/groups/{group}/users/{user}", (HttpContext c, string hub, string group, string user, RestHandlers h) => h.RemoveUserFromGroup(c, hub, user, group, StatusCodes.Status202Accepted)).WithMetadata(RestOperations.RemoveUserFromGroup);
        hub.MapDelete("/users/{user}/groups", (HttpContext c, string hub, string user, RestHandlers h) => h.RemoveUserFromAllGroups(c, hub, user, StatusCodes.Status200OK)).WithMetadata(RestOperations.RemoveUserFromAllGroups);
    }
}
