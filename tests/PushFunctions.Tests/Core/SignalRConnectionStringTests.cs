using PushFunctions.SignalR;

namespace PushFunctions.Tests.Core;

public class SignalRConnectionStringTests
{
    [Fact]
    public void Emulator_string_applies_the_port_and_keeps_the_key()
    {
        var parsed = SignalRConnectionString.Parse("Endpoint=http://127.0.0.1;Port=8888;AccessKey=ABC;Version=1.0;");
        Assert.Equal(new Uri("http://127.0.0.1:8888"), parsed.Endpoint);
        Assert.Equal("ABC", parsed.AccessKey);
        Assert.False(parsed.UsesManagedIdentity);
    }

    [Fact]
    public void Keys_are_case_insensitive_and_trailing_slash_is_trimmed()
    {
        var parsed = SignalRConnectionString.Parse("endpoint=https://x.service.signalr.net/;accesskey=k");
        Assert.Equal("https://x.service.signalr.net/", parsed.Endpoint.ToString());
        Assert.Equal("k", parsed.AccessKey);
    }

    [Fact]
    public void Managed_identity_needs_no_access_key()
    {
        var parsed = SignalRConnectionString.Parse("Endpoint=https://x.service.signalr.net;AuthType=azure.msi;ClientId=abc;Version=1.0;");
        Assert.True(parsed.UsesManagedIdentity);
        Assert.Null(parsed.AccessKey);
        Assert.Equal("abc", parsed.ClientId);
    }

    [Theory]
    [InlineData("AccessKey=k", "'Endpoint' is missing")]
    [InlineData("Endpoint=ftp://x;AccessKey=k", "http or https")]
    [InlineData("Endpoint=http://x", "'AccessKey' is missing")]
    [InlineData("Endpoint=http://x;AccessKey=a;AccessKey=b", "appears twice")]
    [InlineData("Endpoint=http://x;Port=99999;AccessKey=k", "'Port'")]
    [InlineData("Endpoint=http://x;AuthType=magic", "not supported")]
    public void Invalid_strings_say_what_is_wrong_without_echoing_the_key(string value, string expected)
    {
        var error = Assert.Throws<FormatException>(() => SignalRConnectionString.Parse(value));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain("AccessKey=", error.Message);
    }
}
