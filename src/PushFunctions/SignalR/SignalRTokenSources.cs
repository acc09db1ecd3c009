using Azure.Core;
using PushFunctions.Security;

namespace PushFunctions.SignalR;

/// <summary>Picks the token source a connection string calls for.</summary>
public static class SignalRTokenSources
{
    /// <summary>
    /// An access-key source when the connection string has an AccessKey and no AuthType; otherwise (AuthType=azure.msi
    /// or azure) Microsoft Entra with the managed identity named by ClientId (system-assigned without one).
    /// <paramref name="handler"/> and <paramref name="credential"/> replace the network and the identity in tests.
    /// </summary>
    public static ISignalRTokenSource Create(
        SignalRConnectionString connection, TimeProvider time, HttpMessageHandler? handler = null, TokenCredential? credential = null)
    {
        if (!connection.UsesManagedIdentity && connection.AccessKey is { } key) return new AccessKeyTokenSource(key, time);

        var entra = new EntraTokens(credential ?? EntraTokens.ManagedIdentity(connection.ClientId), EntraTokenSource.Scope, time, "SignalR Service");
        var http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: handler is null)
        {
            Timeout = TimeSpan.FromSeconds(15),
        };
        return new EntraTokenSource(connection.RestEndpoint, entra, http, time);
    }
}
