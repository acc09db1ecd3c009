using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace TodoBackend.Accounts;

/// <summary>The demo's own bearer token (<c>Authorization: Bearer APP_TOKEN</c>), issued by <c>POST /app/signin</c>.</summary>
public sealed class AppTokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AccountStore accounts)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AppToken";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Token(Context) is not { } token) return Task.FromResult(AuthenticateResult.NoResult());
        return Task.FromResult(accounts.FindByToken(token) is { } user
            ? AuthenticateResult.Success(new AuthenticationTicket(user.ToPrincipal(SchemeName), SchemeName))
            : AuthenticateResult.Fail("unknown or signed-out app token"));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await Results.Problem(title: "Sign in again: this session has ended.", statusCode: 401).ExecuteAsync(Context);
    }

    public static string? Token(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }
}
