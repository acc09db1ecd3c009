using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace SignalREmulator.Client;

/// <summary>
/// Serialized hub-protocol (JSON) messages, each ending in the 0x1E record separator.
/// Control messages come from ASP.NET Core's <see cref="JsonHubProtocol"/>. Invocations are written here
/// because their arguments are already JSON (the REST body): copying them raw avoids a parse and re-serialize
/// per send, and lets one byte array go to every recipient.
/// </summary>
public sealed class HubFrames
{
    public const byte RecordSeparator = 0x1E;

    private readonly JsonHubProtocol _protocol = new();

    public HubFrames() => Ping = _protocol.GetMessageBytes(PingMessage.Instance);

    public ReadOnlyMemory<byte> Ping { get; }

    /// <summary><c>{"type":7,"error":reason,"allowReconnect":true}</c>, what the emulator sends on REST close.</summary>
    public ReadOnlyMemory<byte> Close(string? reason) =>
        _protocol.GetMessageBytes(new CloseMessage(string.IsNullOrEmpty(reason) ? null : reason, allowReconnect: true));

    public ReadOnlyMemory<byte> VoidCompletion(string invocationId) => _protocol.GetMessageBytes(CompletionMessage.Empty(invocationId));

    public ReadOnlyMemory<byte> ErrorCompletion(string invocationId, string error) =>
        _protocol.GetMessageBytes(CompletionMessage.WithError(invocationId, error));

    /// <summary><c>{"type":1,"target":…,"arguments":[…]}</c> with <paramref name="argumentsJson"/> (a validated JSON array) copied as is.</summary>
    public static byte[] Invocation(string target, ReadOnlySpan<byte> argumentsJson)
    {
        var buffer = new ArrayBufferWriter<byte>(argumentsJson.Length + target.Length + 48);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("type"u8, 1);
            writer.WriteString("target"u8, target);
            writer.WritePropertyName("arguments"u8);
            if (argumentsJson.IsEmpty) writer.WriteRawValue("[]"u8, skipInputValidation: true);
            else writer.WriteRawValue(argumentsJson, skipInputValidation: true);
            writer.WriteEndObject();
        }
        buffer.Write([RecordSeparator]);
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>The top-level fields of a client message that routing needs; the rest stays raw for the upstream.</summary>
public readonly record struct ClientMessageHeader(int Type, string? InvocationId, string? Target)
{
    /// <summary>Reads one unframed JSON hub message. Throws <see cref="JsonException"/> on malformed JSON.</summary>
    public static ClientMessageHeader Parse(ReadOnlySpan<byte> message)
    {
        var reader = new Utf8JsonReader(message);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("A hub message must be a JSON object.");
        int type = 0;
        string? invocationId = null, target = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("invocationId"u8))
            {
                reader.Read();
                invocationId = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                reader.Read();
                target = reader.GetString();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (type == 0) throw new JsonException("Missing 'type' property.");
        return new ClientMessageHeader(type, invocationId, target);
    }
}
