using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace FunctionsHost.Http;

/// <summary>
/// The front's listening sockets, bound the moment the host starts, before its gRPC server and its worker bind
/// ports of their own: a port the kernel hands out for port 0 could otherwise be the one the front was told to use,
/// and the host would fail to start. Azure's host also listens from the start and holds early requests; connections
/// made before the front is ready wait in the socket's backlog. Kestrel takes the sockets as they are
/// (<see cref="SocketTransportOptions.CreateBoundListenSocket"/>). Only URLs with an IP address and a port other than 0
/// are reserved: Kestrel resolves names and wildcards itself, and port 0 cannot be taken by anyone else.
/// </summary>
public sealed class ListenerReservation : IDisposable
{
    private readonly Dictionary<EndPoint, Socket> sockets;

    private ListenerReservation(Dictionary<EndPoint, Socket> sockets) => this.sockets = sockets;

    /// <summary>Binds and listens on each reservable URL in <paramref name="urls"/> (separated by ';').</summary>
    /// <exception cref="IOException">An address is in use; says which.</exception>
    public static ListenerReservation Reserve(string urls)
    {
        var sockets = new Dictionary<EndPoint, Socket>();
        try
        {
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Port == 0 || !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address)) continue;
                var endpoint = new IPEndPoint(address, uri.Port);
                if (sockets.ContainsKey(endpoint)) continue;
                try
                {
                    var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                    sockets.Add(endpoint, socket);
                    socket.Listen();
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
                {
                    throw new IOException($"Failed to bind to address {url}: address already in use.", e);
                }
            }
            return new ListenerReservation(sockets);
        }
        catch
        {
            foreach (var socket in sockets.Values) socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// For Kestrel: the reserved socket for <paramref name="endpoint"/> (handed over once), or a newly bound one.
    /// </summary>
    public Socket CreateBoundListenSocket(EndPoint endpoint)
    {
        lock (sockets)
        {
            if (sockets.Remove(endpoint, out var socket)) return socket;
        }
        return SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
    }

    /// <summary>Closes the sockets Kestrel did not take (the host failed before its front started).</summary>
    public void Dispose()
    {
        lock (sockets)
        {
            foreach (var socket in sockets.Values) socket.Dispose();
            sockets.Clear();
        }
    }
}
