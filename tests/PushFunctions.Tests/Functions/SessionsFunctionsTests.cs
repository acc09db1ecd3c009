using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PushFunctions.Presence;
using PushFunctions.Security;
using PushFunctions.Sessions;
using PushFunctions.SignalR;

namespace PushFunctions.Tests.Functions;

public class SessionsFunctionsTests(FunctionTestHost host) : IClassFixture<FunctionTestHost>
{
    private readonly SessionsFunctions functions = host.Create<SessionsFunctions>();

    [Theory]
    [InlineData(nameof(SessionsFunctions.Login), "login", new[] { Credential.Server })]
    [InlineData(nameof(SessionsFunctions.Negotiate), "negotiate", new[] { Credential.Session })]
    [InlineData(nameof(SessionsFunctions.Logout), "logout", new[] { Credential.Session })]
    [InlineData(nameof(SessionsFunctions.List), "userSessions", new[] { Credential.Server })]
    [InlineData(nameof(SessionsFunctions.Revoke), "revokeSession", new[] { Credential.Server })]
    public void Each_function_demands_its_credential(string method, string name, Credential[] accepts)
    {
        Assert.Equal(name, Invocation.FunctionNameOf<SessionsFunctions>(method));
        Assert.Equal(accepts, Invocation.AcceptsOf<SessionsFunctions>(method));
    }

    [Theory]
    [InlineData("", "The body must be JSON: {userId, userName, device?, ttlSeconds?}.")]
    [InlineData("""{"userId":"bad id","userName":"Ann"}""", "The userId must be")]
    [InlineData("""{"userName":"Ann"}""", "The userId must be")]
    [InlineData("""{"userId":"u1"}""", "'userName' must be 1 to 128 printable characters.")]
    [InlineData("""{"userId":"u1","userName":"   "}""", "'userName' must be 1 to 128 printable characters.")]
    [InlineData("""{"userId":"u1","userName":"A\u0007nn"}""", "'userName' must be 1 to 128 printable characters.")]
    [InlineData("""{"userId":"u1","userName":"Ann","device":"tab\nlet"}""", "'device' must be at most 128 printable characters.")]
    [InlineData("""{"userId":"u1","userName":"Ann","ttlSeconds":59}""", "'ttlSeconds' must be between 60 and 2592000 (Limits__SessionMaxTtlSeconds).")]
    [InlineData("""{"userId":"u1","userName":"Ann","ttlSeconds":2592001}""", "'ttlSeconds' must be between 60 and 2592000 (Limits__SessionMaxTtlSeconds).")]
    [InlineData("""{"userId":"u1","userName":"Ann","ttlSeconds":"60"}""", "The body is not valid JSON of the expected shape")]
    [InlineData("""{"userId":""", "The body is not valid JSON of the expected shape")]
    public async Task Login_refuses_a_bad_body_with_400_saying_what_to_fix(string body, string title)
    {
        var result = await functions.Login(Invocation.Request("POST", "/api/login", body));

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.StartsWith(title, response.ProblemTitle);
    }

    [Fact]
    public async Task Login_refuses_a_body_that_is_not_json_with_415()
    {
        var result = await functions.Login(Invocation.Request("POST", "/api/login", "userId=u1", contentType: "text/plain"));

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status415UnsupportedMediaType, response.Status);
        Assert.Contains("application/json", response.ProblemTitle);
    }

    [Fact]
    public async Task Negotiate_gives_the_session_user_a_client_url_and_token_tied_to_the_session()
    {
        var now = host.Time.GetUtcNow();
        using var signalR = RealSignalR();
        var caller = Invocation.Session("u1", "s-neg", expiresAt: now.AddHours(5));

        var result = await WithSignalR(signalR).Negotiate(Invocation.Request("POST", "/api/negotiate"), Invocation.Context("negotiate", caller: caller).Object);

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status200OK, response.Status);
        Assert.Equal("http://127.0.0.1:1/client/?hub=push", response.Json.GetProperty("url").GetString());
        var token = await ClientTokenAsync(response.Json.GetProperty("accessToken").GetString()!);
        Assert.Equal("u1", token.GetClaim("asrs.s.uid").Value);
        Assert.Equal("s-neg", token.GetClaim(Credentials.SessionClaim).Value);
        Assert.Equal(now.AddHours(1).ToUnixTimeSeconds(), token.GetPayloadValue<long>("exp"));
    }

    [Fact]
    public async Task Negotiate_never_gives_a_client_token_that_outlives_the_session()
    {
        var expiresAt = host.Time.GetUtcNow().AddMinutes(10);
        using var signalR = RealSignalR();
        var caller = Invocation.Session("u2", "s-short", expiresAt: expiresAt);

        var result = await WithSignalR(signalR).Negotiate(Invocation.Request("POST", "/api/negotiate"), Invocation.Context("negotiate", caller: caller).Object);

        var token = await ClientTokenAsync(result.Value!.AccessToken);
        Assert.Equal(expiresAt.ToUnixTimeSeconds(), token.GetPayloadValue<long>("exp"));
    }

    /// <summary>The app's own SignalR Service client: with an access key it mints client tokens without the network.</summary>
    private SignalRService RealSignalR() => ActivatorUtilities.CreateInstance<SignalRService>(host.Services);

    private SessionsFunctions WithSignalR(ISignalRService signalR) => ActivatorUtilities.CreateInstance<SessionsFunctions>(host.Services, signalR);

    /// <summary>The client token as SignalR Service checks it: signed with the access key, for the hub's client URL.</summary>
    private static async Task<JsonWebToken> ClientTokenAsync(string token)
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(FunctionTestHost.AccessKey)),
            ValidAudience = "http://127.0.0.1/client/?hub=push",
            ValidateIssuer = false,
            ValidateLifetime = false, // the test's clock is not the wall clock; exp is asserted exactly instead
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        return (JsonWebToken)result.SecurityToken;
    }

    [Fact]
    public async Task Negotiate_without_a_session_caller_is_a_bug_not_an_anonymous_token()
    {
        // The front door sets the caller; a server caller (no user) must never get a client token.
        var context = Invocation.Context("negotiate", caller: Caller.Server);

        await Assert.ThrowsAsync<InvalidOperationException>(() => functions.Negotiate(Invocation.Request("POST", "/api/negotiate"), context.Object));
    }

    [Theory]
    [InlineData("bad id")]
    [InlineData("")]
    [InlineData("u/1")]
    public async Task Listing_sessions_of_an_invalid_user_id_is_400(string userId)
    {
        var result = await functions.List(Invocation.Request("GET", "/api/users/x/sessions"), userId);

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.StartsWith("The userId must be", response.ProblemTitle);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("dot.ted")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123456789")]
    public async Task Revoking_something_that_is_not_a_session_id_is_400(string sessionId)
    {
        var result = await functions.Revoke(Invocation.Request("DELETE", "/api/sessions/x"), sessionId);

        var response = await Invocation.ExecuteAsync(result, host.Services);
        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        Assert.Equal("That is not a session id (from /api/login or /api/users/{userId}/sessions).", response.ProblemTitle);
    }
}
