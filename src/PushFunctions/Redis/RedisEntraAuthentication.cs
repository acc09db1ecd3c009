using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Azure.Core;
using PushFunctions.Configuration;
using PushFunctions.Security;
using StackExchange.Redis;

namespace PushFunctions.Redis;

/// <summary>
/// Microsoft Entra auth to Azure Managed Redis for StackExchange.Redis 1.2.6, which can only send <c>AUTH &lt;password&gt;</c>
/// while Entra needs <c>AUTH &lt;object id&gt; &lt;token&gt;</c> (docs/DEPLOY.md "Redis with Entra").
///
/// It runs a loopback relay in the app: the multiplexer connects to <see cref="Options"/> (127.0.0.1, no TLS, no
/// password); for each of its connections the relay opens the TLS connection to Redis, sends
/// <c>AUTH &lt;oid&gt; &lt;token&gt;</c> first, and then relays bytes both ways. Before the token expires it fetches a new
/// one and slips <c>AUTH &lt;oid&gt; &lt;new token&gt;</c> into every live connection between two whole commands, and
/// drops that command's reply, so the multiplexer never sees it: no connection is dropped for the renewal.
///
/// The relay follows RESP2 framing to find command and reply boundaries, so it needs exactly one reply per
/// command: the multiplexer's subscription connection (pub/sub) is switched off in <see cref="Options"/>.
/// </summary>
public sealed class RedisEntraAuthentication : IDisposable
{
    public const string Scope = "https://redis.azure.com/.default";

    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly EntraTokens tokens;
    private readonly string host;
    private readonly int port;
    private readonly bool tls;
    private readonly string tlsHost;
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<RelayedConnection, byte> connections = new();
    private readonly Task acceptLoop;
    private readonly Task renewLoop;

    private RedisEntraAuthentication(
        ConfigurationOptions original, EndPoint target, TokenCredential credential, TimeProvider time, ILogger logger)
    {
        this.logger = logger;
        this.time = time;
        (host, port) = target switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            _ => throw new InvalidSettingsException([$"Setting '{SettingNames.RedisConnectionString}': endpoint {target} is not host:port."]),
        };
        tls = original.Ssl;
        tlsHost = string.IsNullOrEmpty(original.SslHost) ? host : original.SslHost;
        tokens = new EntraTokens(credential, Scope, time, "Azure Managed Redis");

        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var relayPort = ((IPEndPoint)listener.LocalEndpoint).Port;

        Options = original.Clone();
        Options.EndPoints.Clear();
        Options.EndPoints.Add(IPAddress.Loopback, relayPort);
        Options.Ssl = false;
        Options.Password = null;
        Options.ConfigurationChannel = "";
        Options.CommandMap = CommandMap.Create(["SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE"], available: false);

        acceptLoop = AcceptAsync();
        renewLoop = RenewAsync();
    }

    /// <summary>What to give <c>ConnectionMultiplexer.Connect</c>: the relay's loopback endpoint, no password, no pub/sub.</summary>
    public ConfigurationOptions Options { get; }

    /// <summary>Live relayed connections (tests).</summary>
    internal int ConnectionCount => connections.Count;

    /// <summary>
    /// Starts the relay for <paramref name="options"/> (from RedisConnectionString) with the managed identity
    /// <paramref name="clientId"/>. Throws <see cref="InvalidSettingsException"/> naming the setting when the
    /// connection string cannot be used with Entra: it has a password, it is not TLS, or it names more than one endpoint.
    /// </summary>
    public static RedisEntraAuthentication Start(
        ConfigurationOptions options, string clientId, ILogger logger, TimeProvider? time = null, TokenCredential? credential = null) =>
        Start(options, clientId, logger, time, credential, requireTls: true);

    internal static RedisEntraAuthentication Start(
        ConfigurationOptions options, string clientId, ILogger logger, TimeProvider? time, TokenCredential? credential, bool requireTls)
    {
        var problems = new List<string>();
        var prefix = $"Setting '{SettingNames.RedisConnectionString}' with '{SettingNames.RedisEntraClientId}' set:";
        if (!string.IsNullOrEmpty(options.Password))
            problems.Add($"{prefix} remove the password (the app authenticates with a Microsoft Entra token), or leave '{SettingNames.RedisEntraClientId}' empty to use the access key.");
        if (requireTls && !options.Ssl)
            problems.Add($"{prefix} add ssl=true (Microsoft Entra authentication needs TLS; Azure Managed Redis listens on port 10000).");
        if (options.EndPoints.Count != 1)
            problems.Add($"{prefix} name exactly one endpoint (host:10000); it names {options.EndPoints.Count}.");
        if (problems.Count > 0) throw new InvalidSettingsException(problems);

        return new RedisEntraAuthentication(
            options, options.EndPoints[0], credential ?? EntraTokens.ManagedIdentity(clientId), time ?? TimeProvider.System, logger);
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stopping.Token);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                logger.LogWarning("Redis Entra relay: accept failed: {Message}", e.Message);
                continue;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        client.NoDelay = true;
        var downstream = new NetworkStream(client, ownsSocket: true);
        Stream? upstream = null;
        RelayedConnection? connection = null;
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(30));
            var token = await tokens.GetTokenAsync(connectTimeout.Token);
            var user = ObjectId(token);

            var server = new TcpClient { NoDelay = true };
            await server.ConnectAsync(host, port, connectTimeout.Token);
            upstream = server.GetStream();
            if (tls)
            {
                var ssl = new SslStream(upstream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = tlsHost }, connectTimeout.Token);
                upstream = ssl;
            }

            connection = new RelayedConnection(downstream, upstream, logger);
            await connection.AuthenticateAsync(user, token); // the first command on the wire, before anything relayed
            connections.TryAdd(connection, 0);
            // A renewal that ran while this connection was being set up did not see it: catch up.
            var latest = await tokens.GetTokenAsync(connectTimeout.Token);
            if (latest != token) await connection.AuthenticateAsync(ObjectId(latest), latest);
            await connection.RunAsync(stopping.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (!stopping.IsCancellationRequested)
                logger.LogWarning("Redis Entra relay to {Host}:{Port}: {Message}", host, port, e.Message);
        }
        finally
        {
            if (connection is not null) connections.TryRemove(connection, out _);
            await downstream.DisposeAsync();
            if (upstream is not null) await upstream.DisposeAsync();
        }
    }

    /// <summary>Renews the token before it expires and re-AUTHs every live connection with it.</summary>
    private async Task RenewAsync()
    {
        var lastToken = "";
        var retryDelay = TimeSpan.FromSeconds(1);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var entry = await tokens.GetEntryAsync(waitForRefresh: true, stopping.Token);
                if (entry.Value.Token != lastToken)
                {
                    lastToken = entry.Value.Token;
                    await ReauthenticateAllAsync(ObjectId(lastToken), lastToken);
                }
                retryDelay = TimeSpan.FromSeconds(1);
                var wait = entry.RefreshAt - time.GetUtcNow();
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time, stopping.Token);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError("Redis Entra: {Message}; retrying in {Delay}", e.Message, retryDelay);
                try
                {
                    await Task.Delay(retryDelay, time, stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                retryDelay = TimeSpan.FromSeconds(Math.Min(30, retryDelay.TotalSeconds * 2));
            }
        }
    }

    private async Task ReauthenticateAllAsync(string user, string token)
    {
        foreach (var connection in connections.Keys)
        {
            if (connection.Token == token) continue;
            try
            {
                await connection.AuthenticateAsync(user, token);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                connection.Close(); // the multiplexer reconnects, and the new connection AUTHs with the new token
            }
        }
    }

    private static string ObjectId(string token) =>
        EntraTokens.ReadClaim(token, "oid")
        ?? throw new InvalidOperationException("The Microsoft Entra token for Redis has no 'oid' claim to use as the Redis user name.");

    public void Dispose()
    {
        stopping.Cancel();
        listener.Stop();
        foreach (var connection in connections.Keys) connection.Close();
        try
        {
            Task.WaitAll([acceptLoop, renewLoop], TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // stopping: already logged
        }
        stopping.Dispose();
    }

    /// <summary>
    /// One relayed connection. Commands go up only whole (so an AUTH can be slipped in between two), under a lock
    /// shared with <see cref="AuthenticateAsync"/>; replies are counted, and the replies of slipped-in AUTHs dropped.
    /// </summary>
    private sealed class RelayedConnection(Stream downstream, Stream upstream, ILogger logger)
    {
        private readonly SemaphoreSlim writeLock = new(1, 1);
        private readonly ConcurrentQueue<long> ownReplies = new();
        private long commandsSent;
        private int closed;

        /// <summary>The token of the last AUTH sent.</summary>
        public string? Token { get; private set; }

        public async Task AuthenticateAsync(string user, string token)
        {
            var command = Resp.Command("AUTH", user, token);
            await writeLock.WaitAsync();
            try
            {
                if (Volatile.Read(ref closed) != 0) throw new ObjectDisposedException(nameof(RelayedConnection));
                ownReplies.Enqueue(commandsSent); // before the write: the reply may come back at once
                commandsSent++;
                Token = token;
                await upstream.WriteAsync(command);
                await upstream.FlushAsync();
            }
            finally
            {
                writeLock.Release();
            }
        }

        public async Task RunAsync(CancellationToken stop)
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var up = CommandsUpAsync(both.Token);
            var down = RepliesDownAsync(both.Token);
            await Task.WhenAny(up, down);
            both.Cancel();
            Close();
            try
            {
                await Task.WhenAll(up, down);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // one side ended: the connection is over
            }
        }

        public void Close()
        {
            if (Interlocked.Exchange(ref closed, 1) != 0) return;
            downstream.Dispose();
            upstream.Dispose();
        }

        private async Task CommandsUpAsync(CancellationToken cancellationToken)
        {
            var buffer = new Resp.Buffer();
            while (true)
            {
                var read = await downstream.ReadAsync(buffer.FreeSpace(), cancellationToken);
                if (read == 0) return;
                buffer.Filled(read);
                var whole = 0;
                var frames = 0;
                while (Resp.FrameLength(buffer.Data[whole..].Span) is var length and > 0)
                {
                    whole += length;
                    frames++;
                }
                if (frames == 0) continue;
                await writeLock.WaitAsync(cancellationToken);
                try
                {
                    commandsSent += frames;
                    await upstream.WriteAsync(buffer.Data[..whole], cancellationToken);
                    await upstream.FlushAsync(cancellationToken);
                }
                finally
                {
                    writeLock.Release();
                }
                buffer.Consume(whole);
            }
        }

        private async Task RepliesDownAsync(CancellationToken cancellationToken)
        {
            var buffer = new Resp.Buffer();
            long repliesSeen = 0;
            while (true)
            {
                var read = await upstream.ReadAsync(buffer.FreeSpace(), cancellationToken);
                if (read == 0) return;
                buffer.Filled(read);
                var forwardFrom = 0;
                var position = 0;
                while (Resp.FrameLength(buffer.Data[position..].Span) is var length and > 0)
                {
                    if (ownReplies.TryPeek(out var own) && own == repliesSeen)
                    {
                        ownReplies.TryDequeue(out _);
                        var reply = buffer.Data.Slice(position, length);
                        if (reply.Span[0] != (byte)'+')
                        {
                            logger.LogError("Redis refused the Microsoft Entra token: {Reply}; closing the connection",
                                Encoding.UTF8.GetString(reply.Span).Trim());
                            return;
                        }
                        if (position > forwardFrom) await downstream.WriteAsync(buffer.Data[forwardFrom..position], cancellationToken);
                        forwardFrom = position + length;
                    }
                    position += length;
                    repliesSeen++;
                }
                if (position > forwardFrom) await downstream.WriteAsync(buffer.Data[forwardFrom..position], cancellationToken);
                buffer.Consume(position);
            }
        }
    }
}

/// <summary>RESP2 framing, as much as the relay needs.</summary>
internal static class Resp
{
    public static byte[] Command(params string[] parts)
    {
        var text = new StringBuilder().Append('*').Append(parts.Length).Append("\r\n");
        foreach (var part in parts) text.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>The length of the whole RESP2 value at the start of <paramref name="data"/>, or 0 when it is not all there yet.</summary>
    public static int FrameLength(ReadOnlySpan<byte> data)
    {
        var position = 0;
        long remaining = 1;
        while (remaining > 0)
        {
            if (position >= data.Length) return 0;
            var lineEnd = data[position..].IndexOf("\r\n"u8);
            if (lineEnd < 0) return 0;
            var type = data[position];
            var line = data.Slice(position + 1, lineEnd - 1);
            position += lineEnd + 2;
            remaining--;
            switch (type)
            {
                case (byte)'+' or (byte)'-' or (byte)':':
                    break;
                case (byte)'$':
                    var size = Number(line);
                    if (size >= 0)
                    {
                        if (data.Length - position < size + 2) return 0;
                        position += (int)size + 2;
                    }
                    break;
                case (byte)'*':
                    var count = Number(line);
                    if (count > 0) remaining += count;
                    break;
                default:
                    throw new InvalidDataException($"Not RESP2: a value starts with 0x{type:X2}.");
            }
        }
        return position;
    }

    private static long Number(ReadOnlySpan<byte> text) =>
        System.Buffers.Text.Utf8Parser.TryParse(text, out long value, out var used) && used == text.Length
            ? value
            : throw new InvalidDataException("Not RESP2: a bad length.");

    /// <summary>A growable byte buffer: read into <see cref="FreeSpace"/>, look at <see cref="Data"/>, drop what is done.</summary>
    public sealed class Buffer
    {
        private byte[] bytes = new byte[16 * 1024];
        private int start;
        private int end;

        public Memory<byte> Data => bytes.AsMemory(start, end - start);

        public Memory<byte> FreeSpace()
        {
            if (start > 0 && start == end) start = end = 0;
            if (end == bytes.Length)
            {
                var used = end - start;
                var next = used * 2 > bytes.Length ? new byte[bytes.Length * 2] : bytes;
                Array.Copy(bytes, start, next, 0, used);
                bytes = next;
                start = 0;
                end = used;
            }
            return bytes.AsMemory(end);
        }

        public void Filled(int count) => end += count;

        public void Consume(int count) => start += count;
    }
}
