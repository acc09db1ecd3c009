using Microsoft.AspNetCore.Http;
using PushFunctions.Accounts;
using PushFunctions.Security;

namespace PushFunctions.Tests.Functions;

public class AccountsFunctionsTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
{
    private readonly AccountsFunctions functions = host.Create<AccountsFunctions>();

    [Theory]
    [InlineData(nameof(AccountsFunctions.Delete), "deleteUser")]
    [InlineData(nameof(AccountsFunctions.DeleteAccountToUpdateOnline), "deleteAccountToUpdateOnline")]
    public void Only_the_main_backend_deletes_accounts(string method, string name)
    {
        Assert.Equal(name, Invocation.FunctionNameOf<AccountsFunctions>(method));
        Assert.Equal([Credential.Server], Invocation.AcceptsOf<AccountsFunctions>(method));
    }

    [Theory]
    [InlineData("bad id")]
    [InlineData("x/y")]
    public async Task Deleting_an_invalid_user_id_is_400(string userId)
    {
        var result = await functions.Delete(Invocation.Request("DELETE", "/api/users/x"), userId);

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.StartsWith("The userId (or 'uid' in the body) must be", response.ProblemTitle);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("""{"uid":"bad id"}""")]
    [InlineData("""{"userName":"only a name"}""")]
    public async Task The_old_call_shape_without_a_valid_uid_is_400(string body)
    {
        var result = await functions.DeleteAccountToUpdateOnline(Invocation.Request("POST", "/api/deleteAccountToUpdateOnline", body));

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.StartsWith("The userId (or 'uid' in the body) must be", response.ProblemTitle);
    }

    [Fact]
    public async Task The_old_call_shape_with_malformed_json_is_400()
    {
        var result = await functions.DeleteAccountToUpdateOnline(Invocation.Request("POST", "/api/deleteAccountToUpdateOnline", """{"uid":1}"""));

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.StartsWith("The body is not valid JSON of the expected shape", response.ProblemTitle);
    }
}
