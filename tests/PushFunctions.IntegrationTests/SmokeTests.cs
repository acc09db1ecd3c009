using System.Net;
using PushFunctions.IntegrationTests.Support;

namespace PushFunctions.IntegrationTests;

[Collection(SystemCollection.Name)]
public sealed class SmokeTests(PushSystem system)
{
    [Fact]
    public async Task Health_is_200_when_Redis_and_the_emulator_answer()
    {
        var response = await system.Api.CallAsync(HttpMethod.Get, "/api/health", Credential.None);
        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
    }
}
