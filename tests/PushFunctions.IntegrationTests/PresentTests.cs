using Microsoft.Extensions.DependencyInjection;
using PushFunctions.IntegrationTests.Support;
using PushFunctions.Presence;
using SignalREmulator.Admin;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// A connection's <c>present</c> invocation (what client/ sends over each new connection) records it in presence as its
/// <c>connected</c> event does: alone when the service lost the event, and changing nothing when the event came.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class PresentTests(PushSystem system)
{
    private PresenceStore Presence => system.App.Services.GetRequiredService<PresenceStore>();

    private async Task<int> ConnectionCountAsync(string userId) => (await Presence.ConnectionsAsync(userId)).Count;

    [Fact]
    public async Task A_connection_whose_connected_event_was_lost_is_in_presence_once_it_says_present()
    {
        var user = PushSystem.NewId("lost");
        var droppedBefore = system.Emulator.Stats.UpstreamDropped;
        system.Emulator.Faults.Set(new FaultSettings { DropUpstream = [new UpstreamDropRule("connected", user)] });
        try
        {
            await using var connection = await system.ConnectAsync(await system.Api.LoginAsync(user));
            await Eventually.TrueAsync(() => Task.FromResult(system.Emulator.Stats.UpstreamDropped > droppedBefore), "the connected event dropped");
            Assert.False(await Presence.IsOnlineAsync(user));

            await connection.SayPresentAsync();

            Assert.True(await Presence.IsOnlineAsync(user));
            Assert.Equal(1, await ConnectionCountAsync(user));
            await connection.WaitForAsync("update_online_count", p => p.Argument.GetProperty("user_list").EnumerateArray()
                .Any(u => u.GetProperty("userId").GetString() == user));
        }
        finally
        {
            system.Emulator.Faults.Reset();
        }
    }

    [Fact]
    public async Task Present_after_the_connected_event_changes_nothing()
    {
        var user = PushSystem.NewId("both");
        await using var connection = await system.ConnectAsync(await system.Api.LoginAsync(user));
        await Eventually.TrueAsync(async () => await ConnectionCountAsync(user) == 1, "the connected event recorded");

        await connection.SayPresentAsync();
        await connection.SayPresentAsync();

        Assert.Equal(1, await ConnectionCountAsync(user));
        Assert.True(await Presence.IsOnlineAsync(user));
    }
}
