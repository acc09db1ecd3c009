using System.Net;
using System.Net.Sockets;
using FunctionsHost.Http;
using FunctionsHost.Tests.Support;
using Microsoft.Extensions.Logging;

namespace FunctionsHost.Tests;

/// <summary>
/// The front's port is the host's from the moment it starts: what the host binds for its gRPC server and its worker
/// (port 0) cannot be handed that port, and a port someone else holds stops the host before it starts a worker.
/// </summary>
public sealed class ListenerReservationTests
{
    [Fact]
    public void A_reserved_port_cannot_be_bound_by_anyone_else_and_Kestrel_is_handed_that_very_socket()
    {
        var port = FreePort();
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        using var reservation = ListenerReservation.Reserve($"http://127.0.0.1:{port}");

        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = Assert.Throws<SocketException>(() => other.Bind(endpoint));
        Assert.Equal(SocketError.AddressAlreadyInUse, refused.SocketErrorCode);

        using var taken = reservation.CreateBoundListenSocket(endpoint);
        Assert.Equal(endpoint, taken.LocalEndPoint);
        using var client = new TcpClient();
        client.Connect(endpoint); // it is already listening: a connection made before Kestrel accepts waits in its backlog
        using var accepted = taken.Accept();
        Assert.True(accepted.Connected);
    }

    [Fact]
    public void A_port_someone_else_listens_on_is_an_IOException_naming_the_url()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        var error = Assert.Throws<IOException>(() => ListenerReservation.Reserve($"http://127.0.0.1:{port}"));
        Assert.Equal($"Failed to bind to address http://127.0.0.1:{port}: address already in use.", error.Message);
    }

    [Fact]
    public void Port_0_and_host_names_are_left_to_Kestrel_and_what_Kestrel_did_not_take_is_closed()
    {
        var port = FreePort();
        var reservation = ListenerReservation.Reserve($"http://127.0.0.1:0;http://localhost:{FreePort()};http://127.0.0.1:{port}");

        using var fresh = reservation.CreateBoundListenSocket(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.NotEqual(0, ((IPEndPoint)fresh.LocalEndPoint!).Port);
        reservation.Dispose();

        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        other.Bind(new IPEndPoint(IPAddress.Loopback, port)); // free again
    }

    [Fact]
    public async Task A_host_told_to_use_a_port_in_use_fails_at_once_without_starting_a_worker()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var logs = new LogLines();

        var error = await Assert.ThrowsAsync<IOException>(() => LocalFunctionsHost.StartAsync(new FunctionsHostOptions
        {
            AppDirectory = Repo.AppDirectory,
            Urls = $"http://127.0.0.1:{port}",
            Settings = TestHost.Settings(),
            ConfigureLogging = logging => logging.AddProvider(logs),
        }));

        Assert.Contains($"http://127.0.0.1:{port}: address already in use", error.Message);
        Assert.False(logs.Any("Worker process started"), logs.Tail(20));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
