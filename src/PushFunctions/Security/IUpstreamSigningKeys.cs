using Microsoft.IdentityModel.Tokens;

namespace PushFunctions.Security;

/// <summary>Signing keys for upstream Entra tokens. <paramref name="refresh"/> asks for a fresh copy (an unknown <c>kid</c>).</summary>
public interface IUpstreamSigningKeys
{
    ValueTask<IReadOnlyList<SecurityKey>> GetKeysAsync(bool refresh, CancellationToken cancellationToken);
}
