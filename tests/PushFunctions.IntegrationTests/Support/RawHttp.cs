using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PushFunctions.IntegrationTests.Support;

/// <summary>
/// HTTP/1.1 over a plain socket for oversized requests. A server may answer (413, 431) before it has read the whole
/// request and then close the connection; HttpClient then reports "broken pipe" and loses the answer. Here the upload
/// and the read run side by side, a failed upload is ignored, and whatever the server answered is returned.
/// </summary>
public static class RawHttp
{
    public static async Task<ApiResponse> SendAsync(HttpRequestMessage request, TimeSpan timeout)
    {
        var uri = request.RequestUri!;
        var description = $"{request.Method} {uri.PathAndQuery}";
        if (description.Length > 200) description = description[..200] + "…";
        byte[]? body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync();
        var chunked = request.Content is not null && request.Content.Headers.ContentLength is null;

        var head = new StringBuilder();
        head.Append($"{request.Method} {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nConnection: close\r\n");
        foreach (var header in request.Headers.Where(h => h.Key is not "Host" and not "Connection"))
            head.Append($"{header.Key}: {string.Join(", ", header.Value)}\r\n");
        if (request.Content is not null)
        {
            foreach (var header in request.Content.Headers.Where(h => h.Key != "Content-Length"))
                head.Append($"{header.Key}: {string.Join(", ", header.Value)}\r\n");
            head.Append(chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {body!.Length}\r\n");
        }
        head.Append("\r\n");
        request.Dispose();

        using var cancel = new CancellationTokenSource(timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port, cancel.Token);
        var stream = client.GetStream();

        var upload = Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), cancel.Token);
                if (body is null) return;
                for (var offset = 0; offset < body.Length; offset += 16 * 1024)
                {
                    var count = Math.Min(16 * 1024, body.Length - offset);
                    if (chunked) await stream.WriteAsync(Encoding.ASCII.GetBytes($"{count:X}\r\n"), cancel.Token);
                    await stream.WriteAsync(body.AsMemory(offset, count), cancel.Token);
                    if (chunked) await stream.WriteAsync("\r\n"u8.ToArray(), cancel.Token);
                }
                if (chunked) await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), cancel.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The server stopped reading: its answer (if any) is what counts.
            }
        });

        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancel.Token)) > 0) received.Write(buffer, 0, read);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"{description} did not finish within {timeout} (hang).");
        }
        catch (IOException) when (received.Length > 0)
        {
            // Reset after the answer was sent.
        }
        client.Close();
        await upload;
        return Parse(received.ToArray(), description);
    }

    private static ApiResponse Parse(byte[] raw, string description)
    {
        var text = Encoding.Latin1.GetString(raw);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0) throw new HttpRequestException($"{description}: the connection closed without a complete answer ({raw.Length} bytes).");
        var lines = text[..end].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1]);
        using var message = new HttpResponseMessage((HttpStatusCode)status);
        string? mediaType = null;
        var chunkedBody = false;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) mediaType = value.Split(';')[0].Trim();
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) chunkedBody = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            else message.Headers.TryAddWithoutValidation(name, value);
        }

        var bodyBytes = raw.AsSpan(Encoding.Latin1.GetByteCount(text[..(end + 4)])).ToArray();
        if (chunkedBody) bodyBytes = Dechunk(bodyBytes);
        return new ApiResponse((HttpStatusCode)status, mediaType, Encoding.UTF8.GetString(bodyBytes), message.Headers, description);
    }

    private static byte[] Dechunk(byte[] data)
    {
        var output = new MemoryStream();
        var position = 0;
        while (position < data.Length)
        {
            var lineEnd = data.AsSpan(position).IndexOf("\r\n"u8);
            if (lineEnd < 0) break;
            var size = Convert.ToInt32(Encoding.ASCII.GetString(data, position, lineEnd).Split(';')[0], 16);
            position += lineEnd + 2;
            if (size == 0) break;
            output.Write(data, position, Math.Min(size, data.Length - position));
            position += size + 2;
        }
        return output.ToArray();
    }
}
