using System.Net;
using Microsoft.Extensions.Options;
using PushFunctions.Configuration;
using PushFunctions.SignalR;
using PushFunctions.Tests.Support;

namespace PushFunctions.Tests.Core;

public class SignalRConnectionStringTests
{
    private const string Key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

    [Fact]
    public void Emulator_string_applies_the_port_and_keeps_the_key()
    {
        var parsed = SignalRConnectionString.Parse("Endpoint=http://127.0.0.1;Port=8888;AccessKey=ABC;Version=1.0;");
        Assert.Equal(new Uri("http://127.0.0.1:8888"), parsed.Endpoint);
        Assert.Equal("ABC", parsed.AccessKey);
        Assert.False(parsed.UsesManagedIdentity);
    }

    [Theory]
    [InlineData("endpoint=https://x.service.signalr.net/;accesskey=" + Key)]
    [InlineData("ENDPOINT=https://x.service.signalr.net;ACCESSKEY=" + Key)]
    public async Task Keys_are_case_insensitive_and_a_trailing_slash_leaves_no_double_slash_in_the_URLs_called(string value)
    {
        var parsed = SignalRConnectionString.Parse(value);
        Assert.Equal(Key, parsed.AccessKey);

        var network = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.Accepted));
        using var service = new SignalRService(parsed, new AccessKeyTokenSource(Key, TimeProvider.System), Options.Create(new SignalROptions()), network);
        var client = await service.GetClientConnectionInfoAsync("u1", [], TimeSpan.FromMinutes(5));
        await service.SendToUserAsync("u1", "message", "{}"u8.ToArray());

        Assert.Equal("https://x.service.signalr.net/client/?hub=push", client.Url);
        Assert.Equal("https://x.service.signalr.net/api/hubs/push/users/u1/:send?api-version=2022-06-01", Assert.Single(network.Requests).RequestUri!.AbsoluteUri);
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
