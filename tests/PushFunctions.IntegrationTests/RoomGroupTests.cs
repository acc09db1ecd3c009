using Microsoft.Extensions.DependencyInjection;
using PushFunctions.IntegrationTests.Support;
using PushFunctions.Rooms;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// SignalR Service keeps a user's group memberships for the user's later connections, so the app asserts them again
/// only when it has reason to think the service's differ from Redis: here, Redis lost a membership and the record
/// that the user's memberships were in step (as after a failover to a replica that had not caught up).
/// </summary>
// Reads the app's room store in this process: not in the run through the worker process.
[Trait("Host", PushAppHost.InProcessTrait)]
[Collection(SystemCollection.Name)]
public sealed class RoomGroupTests(PushSystem system)
{
    private RoomStore Rooms => system.App.Services.GetRequiredService<RoomStore>();

    [Fact]
    public async Task When_Redis_lost_a_membership_the_next_connection_makes_the_service_hold_exactly_the_rooms_Redis_has()
    {
        var api = system.Api;
        var user = PushSystem.NewId("lossy");
        var kept = PushSystem.NewId("kept");
        var lost = PushSystem.NewId("lost");
        foreach (var room in new[] { kept, lost })
            Assert.Equal(204, (await api.ServerAsync(HttpMethod.Put, $"/api/rooms/{room}/members/{user}")).Code);
        Assert.True(await Rooms.GroupsInStepAsync(user));

        // Redis loses the membership of one room and the record; SignalR Service still holds both memberships.
        await Rooms.RemoveAsync(lost, user);
        await Rooms.ForgetGroupsInStepAsync(user);
        await system.RestQuietAsync();
        var before = system.Emulator.Stats.Snapshot().RestCallsByOperation;

        await using var connection = await system.ConnectAsync(await api.LoginAsync(user));
        await Eventually.TrueAsync(() => Rooms.GroupsInStepAsync(user), "the memberships asserted again on connect");

        var after = system.Emulator.Stats.Snapshot().RestCallsByOperation;
        Assert.Equal(1, after.GetValueOrDefault("removeUserFromAllGroups") - before.GetValueOrDefault("removeUserFromAllGroups"));
        var toLost = await api.ServerAsync(HttpMethod.Post, $"/api/rooms/{lost}/messages", new { payload = "not for you" });
        var toKept = await api.ServerAsync(HttpMethod.Post, $"/api/rooms/{kept}/messages", new { payload = "yours" });
        var keptId = toKept.Json.GetProperty("id").GetString();
        await connection.WaitForAsync("room_message", p => p.Argument.GetProperty("id").GetString() == keptId);
        await Task.Delay(300);
        var lostId = toLost.Json.GetProperty("id").GetString();
        Assert.False(connection.HasReceived("room_message", p => p.Argument.GetProperty("id").GetString() == lostId),
            "a room Redis no longer lists the user in reached them live");
    }

    [Fact]
    public async Task A_connect_makes_no_membership_call_when_the_memberships_are_in_step()
    {
        var api = system.Api;
        var user = PushSystem.NewId("steady");
        Assert.Equal(204, (await api.ServerAsync(HttpMethod.Put, $"/api/rooms/{PushSystem.NewId("room")}/members/{user}")).Code);
        var session = await api.LoginAsync(user);
        await system.RestQuietAsync();
        var before = system.Emulator.Stats.Snapshot().RestCallsByOperation;

        await using var connection = await system.ConnectAsync(session);
        await connection.SayPresentAsync(); // answered once the connection is recorded

        var after = system.Emulator.Stats.Snapshot().RestCallsByOperation;
        string[] membership = ["addUserToGroup", "removeUserFromGroup", "removeUserFromAllGroups"];
        Assert.All(membership, op => Assert.Equal(before.GetValueOrDefault(op), after.GetValueOrDefault(op)));
    }
}
