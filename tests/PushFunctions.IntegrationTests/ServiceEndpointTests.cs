using Microsoft.Extensions.Logging;
using PushFunctions.IntegrationTests.Support;
using SignalREmulator;

namespace PushFunctions.IntegrationTests;

/// <summary>
/// A connection string whose <c>ServerEndpoint</c> and <c>ClientEndpoint</c> differ from its <c>Endpoint</c> (a private
/// endpoint, a proxy): calls and clients go to those addresses, and every token's <c>aud</c> names the Endpoint, as
/// the SDK signs it. The emulator, named <c>http://signalr.test</c> and reached at its loopback address, accepts
/// nothing else.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ServiceEndpointTests(PushSystem system)
{
    [Fact]
    public async Task The_app_works_with_a_service_reached_at_other_addresses_than_its_Endpoint()
    {
        await using var emulator = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            Port = 0,
            Endpoint = "http://signalr.test",
            AccessKey = system.EmulatorAccessKey,
            ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.None),
        });
        var keys = PushKeys.Random();
        await using var app = await PushAppHost.StartAsync(system.Redis.ConnectionString, emulator.ConnectionString, keys);
        emulator.UpstreamTemplate = app.Url + "/api/signalr/{hub}/{category}/{event}";
        var api = new PushApi(system.Http, app.Url, keys);

        var user = PushSystem.NewId("named");
        await using var connection = await PushConnection.ConnectAsync(app.Url + "/api", (await api.LoginAsync(user)).Token, TimeSpan.FromSeconds(20));
        var sent = await api.SendToUserAsync(user, "{\"via\":\"ServerEndpoint\"}");

        await connection.WaitForAsync("message", p => p.Argument.GetProperty("id").GetString() == sent.Id);
        Assert.Equal(0, emulator.Stats.UpstreamFailed);
    }
}
