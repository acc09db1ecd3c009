using SignalREmulator.Rest;

namespace SignalREmulator.Admin;

/// <summary>
/// A REST operation, attached to its endpoints as metadata so one middleware can count, fault, check the api-version
/// (<paramref name="MinApiVersion"/>: the first swagger that lists it) and authenticate (<paramref name="EntraOnly"/>:
/// a Microsoft Entra token is required, an access-key token is not enough).
/// </summary>
public sealed record RestOperation(string Name, int Index, bool Anonymous = false, string MinApiVersion = ApiVersions.V20220601, bool EntraOnly = false);

/// <summary>The REST operations, by the names the stats report.</summary>
public static class RestOperations
{
    public static readonly RestOperation Health = new("health", 0, Anonymous: true);
    public static readonly RestOperation SendToHub = new("sendToHub", 1);
    public static readonly RestOperation SendToUser = new("sendToUser", 2);
    public static readonly RestOperation SendToGroup = new("sendToGroup", 3);
    public static readonly RestOperation SendToConnection = new("sendToConnection", 4);
    public static readonly RestOperation AddConnectionToGroup = new("addConnectionToGroup", 5);
    public static readonly RestOperation RemoveConnectionFromGroup = new("removeConnectionFromGroup", 6);
    public static readonly RestOperation RemoveConnectionFromAllGroups = new("removeConnectionFromAllGroups", 7);
    public static readonly RestOperation AddUserToGroup = new("addUserToGroup", 8);
    public static readonly RestOperation RemoveUserFromGroup = new("removeUserFromGroup", 9);
    public static readonly RestOperation RemoveUserFromAllGroups = new("removeUserFromAllGroups", 10);
    public static readonly RestOperation UserInGroup = new("userInGroup", 11);
    public static readonly RestOperation ConnectionExists = new("connectionExists", 12);
    public static readonly RestOperation UserExists = new("userExists", 13);
    public static readonly RestOperation GroupExists = new("groupExists", 14);
    public static readonly RestOperation CloseConnection = new("closeConnection", 15);
    public static readonly RestOperation CloseHubConnections = new("closeHubConnections", 16);
    public static readonly RestOperation CloseGroupConnections = new("closeGroupConnections", 17);
    public static readonly RestOperation CloseUserConnections = new("closeUserConnections", 18);
    public static readonly RestOperation GenerateToken = new("generateToken", 19, MinApiVersion: ApiVersions.V20221101);
    public static readonly RestOperation GetAccessKey = new("getAccessKey", 20, MinApiVersion: ApiVersions.V20230701, EntraOnly: true);

    public static readonly IReadOnlyList<RestOperation> All =
    [
        Health, SendToHub, SendToUser, SendToGroup, SendToConnection, AddConnectionToGroup, RemoveConnectionFromGroup,
        RemoveConnectionFromAllGroups, AddUserToGroup, RemoveUserFromGroup, RemoveUserFromAllGroups, UserInGroup,
        ConnectionExists, UserExists, GroupExists, CloseConnection, CloseHubConnections, CloseGroupConnections,
        CloseUserConnections, GenerateToken, GetAccessKey,
    ];

    public static readonly IReadOnlyDictionary<string, RestOperation> ByName = All.ToDictionary(op => op.Name, StringComparer.OrdinalIgnoreCase);
}
