using Microsoft.AspNetCore.Http;
using PushFunctions.Presence;
using PushFunctions.Security;

namespace PushFunctions.Tests.Functions;

public class PresenceFunctionsTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
{
    private readonly PresenceFunctions functions = host.Create<PresenceFunctions>();

    [Theory]
    [InlineData(nameof(PresenceFunctions.Online), "online", new[] { Credential.Server, Credential.Session })]
    [InlineData(nameof(PresenceFunctions.Check), "periodicCheck", new Credential[0])]
    public void Each_function_demands_its_credential(string method, string name, Credential[] accepts)
    {
        Assert.Equal(name, Invocation.FunctionNameOf<PresenceFunctions>(method));
        Assert.Equal(accepts, Invocation.AcceptsOf<PresenceFunctions>(method));
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=1001")]
    [InlineData("?limit=-5")]
    [InlineData("?limit=ten")]
    public async Task A_limit_outside_1_to_1000_is_400(string query)
    {
        var result = await functions.Online(Invocation.Request("GET", "/api/online", query: query));

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.Equal("'limit' must be a whole number between 1 and 1000.", response.ProblemTitle);
    }

    [Theory]
    [InlineData("?after=bad%20id")]
    [InlineData("?after=")]
    [InlineData("?limit=10&after=a/b")]
    public async Task An_after_that_is_not_a_user_id_is_400(string query)
    {
        var result = await functions.Online(Invocation.Request("GET", "/api/online", query: query));

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.StartsWith("'after' must be a user id", response.ProblemTitle);
    }
}
