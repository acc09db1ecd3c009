using System.Buffers.Binary;
using System.Security.Cryptography;

namespace PushFunctions.Delivery;

/// <summary>
/// Message ids (UUID version 7, 32 lowercase hex digits, as <c>Guid.CreateVersion7().ToString("N")</c> writes them) and
/// stream epochs from random bytes the operating system's generator fills a few kilobytes at a time, per thread: an
/// append would otherwise make one system call for its id and one more for its epoch.
/// </summary>
public static class RandomIds
{
    private const int BufferBytes = 4096;

    [ThreadStatic]
    private static byte[]? buffer;

    [ThreadStatic]
    private static int used;

    /// <summary>A UUID version 7 (RFC 9562): 48 bits of Unix time in ms, then 74 random bits, version and variant.</summary>
    public static string NewMessageId(DateTimeOffset now)
    {
        Span<byte> uuid = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(uuid, now.ToUnixTimeMilliseconds() << 16);
        Take(10).CopyTo(uuid[6..]);
        uuid[6] = (byte)(0x70 | (uuid[6] & 0x0F));
        uuid[8] = (byte)(0x80 | (uuid[8] & 0x3F));
        return Convert.ToHexStringLower(uuid);
    }

    /// <summary>A stream epoch: 10 random hex digits.</summary>
    public static string NewEpoch() => Convert.ToHexStringLower(Take(5));

    private static ReadOnlySpan<byte> Take(int count)
    {
        var bytes = buffer ??= new byte[BufferBytes];
        if (used == 0 || used + count > BufferBytes)
        {
            RandomNumberGenerator.Fill(bytes);
            used = 0;
        }
        var taken = bytes.AsSpan(used, count);
        used += count;
        return taken;
    }
}
