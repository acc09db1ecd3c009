using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PushFunctions.Http;
using Microsoft.Extensions.Options;
using PushFunctions.Configuration;
using PushFunctions.SignalR;
using PushFunctions.Tests.Core;
using PushFunctions.Tests.Support;

namespace PushFunctions.Tests;

/// <summary>
/// Which ids URL normalisation rewrites, found by trying them: every id of the API's alphabet up to a length, escaped
/// as the REST client escapes it, through System.Uri (what HttpClient sends) and through Kestrel (what the emulator,
/// an ASP.NET Core server, makes of the path it receives). The ids they rewrite must be exactly the ones
/// <see cref="PathSegment"/> refuses, and every other id must arrive as itself.
/// </summary>
public sealed class PathSegmentTests
{
    private const string Prefix = "/api/hubs/push/users/";
    private const string Suffix = "/:send";

    /// <summary>A character of each kind the normalisers could treat differently: unreserved letters, digits and marks, the dot, and the two the escaping turns into %XX.</summary>
    private const string OneOfEachKind = "aZ0_-.@:";

    private static IEnumerable<string> IdsUpTo(int length, string alphabet)
    {
        IEnumerable<string> current = [""];
        for (var i = 1; i <= length; i++)
        {
            current = current.SelectMany(prefix => alphabet.Select(c => prefix + c)).ToList();
            foreach (var id in current) yield return id;
        }
    }

    private static string Sorted(IEnumerable<string> ids) => string.Join(" ", ids.Order(StringComparer.Ordinal).Select(id => $"'{id}'"));

    [Fact]
    public void System_Uri_rewrites_exactly_the_refused_ids_of_up_to_three_characters()
    {
        var rewritten = new List<string>();
        foreach (var id in IdsUpTo(3, Ids.Alphabet))
        {
            var path = Prefix + Uri.EscapeDataString(id) + Suffix;
            var uri = new Uri("https://demo.service.signalr.net" + path + "?api-version=2022-06-01");
            if (uri.AbsolutePath != path) rewritten.Add(id);
        }

        Assert.Equal(Sorted(IdsUpTo(3, Ids.Alphabet).Where(PathSegment.IsRewritten)), Sorted(rewritten));
    }

    [Fact]
    public async Task Kestrel_rewrites_exactly_the_refused_ids_all_of_up_to_two_characters_and_each_kind_up_to_four()
    {
        await using var server = await EchoServer.StartAsync();
        var ids = IdsUpTo(2, Ids.Alphabet).Concat(IdsUpTo(4, OneOfEachKind).Where(id => id.Length > 2)).ToList();
        var rewritten = new List<string>();
        foreach (var id in ids)
        {
            // Sent as written: System.Uri's own rewriting is the test above.
            var sent = Prefix + Uri.EscapeDataString(id) + Suffix;
            var received = await server.PathReceivedAsync(sent);
            if (received != Prefix + id + Suffix) rewritten.Add(id);
        }

        Assert.Equal(Sorted(ids.Where(PathSegment.IsRewritten)), Sorted(rewritten));
    }

    [Theory]
    [InlineData(".", "/api/hubs/push/users/:closeConnections")]
    [InlineData("..", "/api/hubs/push/:closeConnections")]
    [InlineData("%2E%2E", "/api/hubs/push/:closeConnections")]
    [InlineData("%2e.", "/api/hubs/push/:closeConnections")]
    public async Task Escaping_a_dot_segment_differently_does_not_save_it(string segment, string arrives)
    {
        await using var server = await EchoServer.StartAsync();
        Assert.Equal(arrives, await server.PathReceivedAsync($"/api/hubs/push/users/{segment}/:closeConnections"));
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("")]
    public void The_api_refuses_ids_that_would_be_rewritten(string id) => Assert.False(Ids.IsValid(id));

    [Theory]
    [InlineData("...")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("..a")]
    [InlineData("a:b@c.d")]
    public void Ids_with_dots_that_stay_one_segment_are_valid(string id) => Assert.True(Ids.IsValid(id));

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("")]
    public async Task The_rest_client_throws_rather_than_send_a_path_that_would_address_another_target(string id)
    {
        var handler = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.Accepted));
        const string key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
        using var service = new SignalRService(
            SignalRConnectionString.Parse($"Endpoint=https://demo.service.signalr.net;AccessKey={key};Version=1.0;"),
            new AccessKeyTokenSource(key, TimeProvider.System), Options.Create(new SignalROptions()), handler);
        var payload = "{}"u8.ToArray();

        Func<Task>[] calls =
        [
            () => service.SendToUserAsync(id, "message", payload),
            () => service.SendToGroupAsync(id, "message", payload),
            () => service.SendToConnectionAsync(id, "message", payload),
            () => service.AddUserToGroupAsync(id, "room:r1"),
            () => service.AddUserToGroupAsync("u1", id),
            () => service.RemoveUserFromGroupAsync(id, "room:r1"),
            () => service.RemoveUserFromGroupAsync("u1", id),
            () => service.RemoveUserFromAllGroupsAsync(id),
            () => service.CloseConnectionAsync(id, "logged_out"),
            () => service.CloseUserConnectionsAsync(id, "account_deleted"),
            () => service.ConnectionExistsAsync(id),
        ];
        foreach (var call in calls) await Assert.ThrowsAsync<UnsafePathSegmentException>(call);
        Assert.Empty(handler.Requests);
    }

    /// <summary>A Kestrel server that answers every request with the path it decoded and normalised.</summary>
    private sealed class EchoServer : IAsyncDisposable
    {
        private static readonly UriCreationOptions AsWritten = new() { DangerousDisablePathAndQueryCanonicalization = true };
        private readonly WebApplication app;
        private readonly HttpClient http = new();
        private readonly string baseUrl;

        private EchoServer(WebApplication app, string baseUrl)
        {
            this.app = app;
            this.baseUrl = baseUrl;
        }

        public static async Task<EchoServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.Run(context => context.Response.WriteAsync(context.Request.Path.Value ?? ""));
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new EchoServer(app, address.TrimEnd('/'));
        }

        public async Task<string> PathReceivedAsync(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl + path, in AsWritten));
            using var response = await http.SendAsync(request);
            return await response.Content.ReadAsStringAsync();
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
