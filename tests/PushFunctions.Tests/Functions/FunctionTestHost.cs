using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Moq;
using PushFunctions.Configuration;
using PushFunctions.Security;
using PushFunctions.SignalR;
using PushFunctions.Tests.Core;
using PushFunctions.Tests.Support;

namespace PushFunctions.Tests.Functions;

/// <summary>
/// The app's own services, wired by <see cref="PushApp.AddPushFunctions"/>, with SignalR Service mocked (it is an
/// interface) and a Redis that never answers (port 1): a function path that reaches a store fails at once, so a
/// unit test sees only the paths that return before any I/O. The Redis paths are the integration tests'.
/// </summary>
public sealed class FunctionTestHost : IDisposable
{
    public const string ServerKey = "unit-test-server-key-0123456789";
    public const string AccessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

    private readonly ServiceProvider services;
    private readonly List<Func<FunctionExecutionDelegate, FunctionExecutionDelegate>> middleware = [];

    public FunctionTestHost() : this(new Dictionary<string, string?>())
    {
    }

    /// <summary>A host whose settings differ (e.g. a lower rate limit); the caller disposes it.</summary>
    public static FunctionTestHost With(Dictionary<string, string?> settings) => new(settings);

    private FunctionTestHost(Dictionary<string, string?> settings)
    {
        var collection = new ServiceCollection().AddLogging();
        var worker = new Mock<IFunctionsWorkerApplicationBuilder>();
        worker.SetupGet(w => w.Services).Returns(collection);
        worker.Setup(w => w.Use(It.IsAny<Func<FunctionExecutionDelegate, FunctionExecutionDelegate>>()))
            .Callback<Func<FunctionExecutionDelegate, FunctionExecutionDelegate>>(middleware.Add)
            .Returns(worker.Object);
        worker.Object.AddPushFunctions(TestSettings.Configuration(new Dictionary<string, string?>
        {
            [SettingNames.SignalRConnectionString] = $"Endpoint=http://127.0.0.1;Port=1;AccessKey={AccessKey};Version=1.0;",
            [SettingNames.RedisConnectionString] = "127.0.0.1:1,abortConnect=false,connectTimeout=500",
            [SettingNames.ServerKeys] = ServerKey,
            [SettingNames.HubName] = "push",
        }.Concat(settings).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value)));
        collection.AddSingleton(SignalR.Object).AddSingleton<TimeProvider>(Time);
        services = collection.BuildServiceProvider();
    }

    public Mock<ISignalRService> SignalR { get; } = new(MockBehavior.Strict);
    public ManualTimeProvider Time { get; } = new();
    public IServiceProvider Services => services;

    /// <summary>A function class (or middleware) with its dependencies from the app's services, as the worker creates it.</summary>
    public T Create<T>() => ActivatorUtilities.CreateInstance<T>(services);

    /// <summary>The worker middleware the app registered, in order, around <paramref name="function"/>, as the worker composes them.</summary>
    public FunctionExecutionDelegate Pipeline(FunctionExecutionDelegate function)
    {
        var pipeline = function;
        for (var i = middleware.Count - 1; i >= 0; i--) pipeline = middleware[i](pipeline);
        return pipeline;
    }

    public void Dispose() => services.Dispose();
}

/// <summary>Requests, invocation contexts and responses for calling a function the way the worker does.</summary>
public static class Invocation
{
    /// <summary>The item key under which the worker's ASP.NET Core integration keeps the request's HttpContext.</summary>
    public const string HttpContextKey = "HttpRequestContext";

    public static HttpRequest Request(string method, string path, string? json = null, string? contentType = "application/json",
        IDictionary<string, string>? headers = null, string? query = null)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        http.Request.Path = path;
        if (query is not null) http.Request.QueryString = new QueryString(query);
        if (json is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            http.Request.Body = new MemoryStream(bytes);
            http.Request.ContentLength = bytes.Length;
            http.Request.ContentType = contentType;
        }
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) http.Request.Headers[name] = new StringValues(value);
        return http.Request;
    }

    /// <summary>A mocked invocation context: its items hold the request's HttpContext and, when given, the caller the front door found.</summary>
    public static Mock<FunctionContext> Context(string functionName, HttpContext? http = null, Caller? caller = null)
    {
        var items = new Dictionary<object, object>();
        if (http is not null) items[HttpContextKey] = http;
        var definition = new Mock<FunctionDefinition>();
        definition.SetupGet(d => d.Name).Returns(functionName);
        var context = new Mock<FunctionContext>();
        context.SetupGet(c => c.Items).Returns(items);
        context.SetupGet(c => c.FunctionDefinition).Returns(definition.Object);
        context.SetupGet(c => c.CancellationToken).Returns(CancellationToken.None);
        if (caller is not null) context.Object.SetCaller(caller);
        return context;
    }

    public static Caller Session(string userId = "u1", string sessionId = "s1", DateTimeOffset? expiresAt = null) =>
        new(Credential.Session, new PushUser(userId, "User One", sessionId, expiresAt ?? DateTimeOffset.MaxValue));

    /// <summary>Executes a function's result as the worker's ASP.NET Core integration does, and reads the response.</summary>
    public static async Task<Response> ExecuteAsync(IResult result, IServiceProvider services)
    {
        var http = new DefaultHttpContext { RequestServices = services };
        http.Response.Body = new MemoryStream();
        await result.ExecuteAsync(http);
        return await Response.ReadAsync(http);
    }

    /// <summary>The credentials a function declares with [Accepts]; empty for none (anonymous, or a timer).</summary>
    public static IReadOnlyList<Credential> AcceptsOf<T>(string method) =>
        typeof(T).GetMethod(method)!.GetCustomAttribute<AcceptsAttribute>()?.Credentials ?? [];

    /// <summary>The name the function has in the Functions host ([Function]).</summary>
    public static string FunctionNameOf<T>(string method) => typeof(T).GetMethod(method)!.GetCustomAttribute<FunctionAttribute>()!.Name;
}

/// <summary>A response as a client sees it: status, headers, and the JSON body (problem+json for refusals).</summary>
public sealed record Response(int Status, IHeaderDictionary Headers, string? ContentType, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>The problem's title, asserting first that this is an RFC 9457 problem with the response's status.</summary>
    public string ProblemTitle
    {
        get
        {
            Assert.Equal("application/problem+json", ContentType);
            Assert.Equal(Status, Json.GetProperty("status").GetInt32());
            return Json.GetProperty("title").GetString()!;
        }
    }

    public static async Task<Response> ReadAsync(HttpContext http)
    {
        http.Response.Body.Position = 0;
        var body = await new StreamReader(http.Response.Body).ReadToEndAsync();
        return new Response(http.Response.StatusCode, http.Response.Headers, http.Response.ContentType, body);
    }
}
