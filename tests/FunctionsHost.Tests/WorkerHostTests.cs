using System.Net;
using System.Text;
using FunctionsHost.Functions;
using FunctionsHost.Invocations;
using FunctionsHost.Tests.Support;

namespace FunctionsHost.Tests;

/// <summary>One host with the app's real worker process, shared by the tests that only send it requests.</summary>
public sealed class WorkerHostFixture : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// The host and the app's worker process as the Functions host and a .NET isolated worker are in Azure: how the worker is
/// started, the functions it indexes, and what the host answers before the worker sees a request.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class WorkerHostTests(WorkerHostFixture fixture) : IClassFixture<WorkerHostFixture>
{
    private TestHost Host => fixture.Host;

    [Fact]
    public void The_worker_is_the_apps_build_output_started_as_the_host_starts_it()
    {
        var pid = Host.Host.WorkerProcessId!.Value;
        var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var environment = File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var folder = Path.GetFullPath(Repo.AppDirectory);

        Assert.Equal(["dotnet", "PushFunctions.dll"], arguments[..2]);
        var named = arguments.Skip(2).Chunk(2).ToDictionary(p => p[0], p => p[1]);
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/$", named["--functions-uri"]);
        Assert.Equal(named["--workerId"], named["--functions-worker-id"]);
        Assert.Equal(named["--requestId"], named["--functions-request-id"]);
        Assert.Equal("2147483647", named["--functions-grpc-max-message-length"]);
        Assert.Equal(folder, Path.GetFullPath(new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(returnFinalTarget: true)!.FullName));
        Assert.Contains($"FUNCTIONS_APPLICATION_DIRECTORY={folder}", environment);
        Assert.Contains($"FUNCTIONS_WORKER_DIRECTORY={folder}", environment);
        Assert.Contains($"PushServerKeys={TestHost.ServerKey}", environment);
    }

    [Fact]
    public void The_routes_are_the_functions_the_worker_indexed_the_same_as_functions_metadata()
    {
        var metadata = FunctionInfo.ReadMetadataFile(Path.Combine(Repo.AppDirectory, "functions.metadata"));
        var expected = metadata.Where(f => f.Http is not null)
            .Select(f => $"{f.Name} {string.Join(',', f.Http!.Methods)} api/{f.Route} {f.Http.AuthLevel}").Order();
        var served = Host.Host.Routes.Select(r => $"{r.Function.Name} {string.Join(',', r.Function.Http!.Methods)} {r.Template} {r.Function.Http.AuthLevel}").Order();
        Assert.Equal(expected, served);
    }

    [Fact]
    public async Task A_method_the_function_does_not_declare_is_a_bare_404_and_no_invocation()
    {
        var before = Host.Host.Invocations.Count("broadcast", InvocationStatus.Succeeded) + Host.Host.Invocations.Count("broadcast", InvocationStatus.Failed);
        using var response = await Host.Http.GetAsync("/api/broadcast");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync());
        Assert.Equal(before, Host.Host.Invocations.Count("broadcast", InvocationStatus.Succeeded) + Host.Host.Invocations.Count("broadcast", InvocationStatus.Failed));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("x-functions-key: wrong-key-0123456789")]
    [InlineData("?code=wrong-key-0123456789")]
    [InlineData("Authorization: Bearer pf1.session.token")]
    public async Task A_server_route_without_the_host_key_is_a_bare_401_before_the_worker_is_called(string? credential)
    {
        var before = Host.Host.Invocations.Count("broadcast", InvocationStatus.Failed);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/broadcast" + (credential?.StartsWith('?') == true ? credential : ""))
        {
            Content = new StringContent("{\"payload\":1}", Encoding.UTF8, "application/json"),
        };
        if (credential?.Contains(": ") == true) request.Headers.TryAddWithoutValidation(credential.Split(": ")[0], credential.Split(": ")[1]);
        using var response = await Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync());
        Assert.Equal(before, Host.Host.Invocations.Count("broadcast", InvocationStatus.Failed));
    }

    [Fact]
    public async Task The_key_in_the_code_query_is_a_host_key_too()
    {
        // Redis never answers here: reaching the app is a 503 from it, not the host's 401.
        using var response = await Host.Http.PostAsync($"/api/broadcast?code={TestHost.ServerKey}", new StringContent("{\"payload\":1}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Request_headers_over_Kestrels_32_KiB_are_a_bare_431()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/health");
        request.Headers.TryAddWithoutValidation("X-Padding", new string('p', 40 * 1024));
        using var response = await Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_request_the_app_answers_503_reaches_the_client_as_problem_json_and_is_a_failed_invocation_the_host_logs_and_counts()
    {
        var failedBefore = Host.Host.Invocations.Count("broadcast", InvocationStatus.Failed);
        using var response = await Host.PostAsServerAsync("/api/broadcast", "{\"payload\":1}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Redis", await response.Content.ReadAsStringAsync());
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(failedBefore + 1, Host.Host.Invocations.Count("broadcast", InvocationStatus.Failed));
        Assert.Contains(Host.Logs.All, l => l.Category == "Function.broadcast" && l.Level == Microsoft.Extensions.Logging.LogLevel.Error
                                            && l.Text.StartsWith("Executed 'Functions.broadcast' (Failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_the_app_answers_itself_is_a_succeeded_invocation()
    {
        var before = Host.Host.Invocations.Count("login", InvocationStatus.Succeeded);
        using var response = await Host.PostAsServerAsync("/api/login", "{}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before + 1, Host.Host.Invocations.Count("login", InvocationStatus.Succeeded));
    }

    [Fact]
    public async Task A_CORS_preflight_from_an_allowed_origin_is_answered_with_credentials_any_method_and_any_header()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/api/sync");
        request.Headers.Add("Origin", TestHost.AllowedOrigin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        using var response = await Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(TestHost.AllowedOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", response.Headers.GetValues("Access-Control-Allow-Credentials").Single());
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Contains("authorization", response.Headers.GetValues("Access-Control-Allow-Headers").Single());

        using var other = new HttpRequestMessage(HttpMethod.Options, "/api/sync");
        other.Headers.Add("Origin", "http://elsewhere.example");
        other.Headers.Add("Access-Control-Request-Method", "POST");
        using var refused = await Host.Http.SendAsync(other);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public void The_worker_log_is_the_app_log_in_the_hosts_output()
    {
        // With FunctionsApplicationBuilder the worker has no console log of its own: what the app logs reaches the host as RpcLog.
        Assert.Contains(Host.Logs.All, l => l.Category.StartsWith("PushFunctions.", StringComparison.Ordinal));
    }
}

[CollectionDefinition(Name)]
public sealed class HostCollection
{
    /// <summary>One collection: every test class starts worker processes, and the machine has two cores.</summary>
    public const string Name = "Functions host";
}
