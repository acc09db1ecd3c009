using Azure.Core;
using Azure.Identity;
using PushFunctions.Security;

namespace PushFunctions.SignalR;

/// <summary>Picks the token source a connection string calls for.</summary>
public static class SignalRTokenSources
{
    /// <summary>
    /// An access-key source when the connection string has an AccessKey and no AuthType; otherwise Microsoft Entra
    /// with the credential <see cref="Credential"/> picks.
    /// <paramref name="handler"/> and <paramref name="credential"/> replace the network and the identity in tests.
    /// </summary>
    public static ISignalRTokenSource Create(
        SignalRConnectionString connection, TimeProvider time, HttpMessageHandler? handler = null, TokenCredential? credential = null)
    {
        if (!connection.UsesManagedIdentity && connection.AccessKey is { } key) return new AccessKeyTokenSource(key, time);

        var entra = new EntraTokens(credential ?? Credential(connection), EntraTokenSource.Scope, time, "SignalR Service");
        var http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: handler is null)
        {
            Timeout = TimeSpan.FromSeconds(15),
        };
        return new EntraTokenSource(connection.RestEndpoint, entra, http, time);
    }

    /// <summary>
    /// As the SDK parses AuthType (spec §2.1): <c>azure</c> is DefaultAzureCredential (environment, workload identity,
    /// managed identity, developer tools); <c>azure.msi</c> is the managed identity named by ClientId (system-assigned
    /// without one).
    /// </summary>
    public static TokenCredential Credential(SignalRConnectionString connection) =>
        connection.AuthType == "azure" ? new DefaultAzureCredential() : EntraTokens.ManagedIdentity(connection.ClientId);
}
