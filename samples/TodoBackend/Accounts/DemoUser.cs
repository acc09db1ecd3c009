using System.Security.Claims;

namespace TodoBackend.Accounts;

/// <summary>A signed-in user of the demo, bound from the authenticated principal (see <see cref="AppTokenAuthentication"/>).</summary>
public sealed record DemoUser(string Id, string Name)
{
    public static ValueTask<DemoUser?> BindAsync(HttpContext context)
    {
        var principal = context.User;
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        var name = principal.FindFirstValue(ClaimTypes.Name);
        return ValueTask.FromResult(id is null || name is null ? null : new DemoUser(id, name));
    }

    internal ClaimsPrincipal ToPrincipal(string scheme) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, Id), new Claim(ClaimTypes.Name, Name)], scheme));
}
