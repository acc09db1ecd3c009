using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace PushFunctions.Tests.Support;

/// <summary>Unsigned JWT-shaped strings with chosen claims, for tokens the app only reads (Entra tokens for Redis).</summary>
public static class FakeJwt
{
    public static string With(object claims) =>
        Base64Url.EncodeToString("{\"alg\":\"none\"}"u8) + "." +
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims)) + ".sig";

    public static JsonElement Part(string jwt, int index) =>
        JsonDocument.Parse(Base64Url.DecodeFromChars(jwt.Split('.')[index])).RootElement;
}
