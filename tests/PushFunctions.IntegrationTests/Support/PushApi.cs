using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace PushFunctions.IntegrationTests.Support;

/// <summary>How a request authenticates: as the main backend, a browser, or not at all.</summary>
public abstract record Credential
{
    public static readonly Credential None = new NoCredential();

    public static Credential ServerKey(string key) => new HeaderCredential("x-functions-key", key);

    public static Credential ServerKeyQuery(string key) => new QueryCredential("code", key);

    public static Credential Session(string token) => new HeaderCredential("Authorization", "Bearer " + token);

    public static Credential Header(string name, string value) => new HeaderCredential(name, value);

    public abstract void Apply(HttpRequestMessage request);

    private sealed record NoCredential : Credential
    {
        public override void Apply(HttpRequestMessage request)
        {
        }
    }

    private sealed record HeaderCredential(string Name, string Value) : Credential
    {
        public override void Apply(HttpRequestMessage request) => request.Headers.TryAddWithoutValidation(Name, Value);
    }

    private sealed record QueryCredential(string Name, string Value) : Credential
    {
        public override void Apply(HttpRequestMessage request)
        {
            var uri = request.RequestUri!.ToString();
            request.RequestUri = new Uri(uri + (uri.Contains('?') ? "&" : "?") + Name + "=" + Uri.EscapeDataString(Value));
        }
    }
}

/// <summary>An answer, read completely.</summary>
public sealed record ApiResponse(HttpStatusCode Status, string? MediaType, string Body, HttpResponseHeaders Headers, string Request)
{
    public int Code => (int)Status;

    public JsonElement Json
    {
        get
        {
            using var document = JsonDocument.Parse(Body);
            return document.RootElement.Clone();
        }
    }

    /// <summary>The problem+json <c>title</c>, or null when the body is not a problem document with one.</summary>
    public string? ProblemTitle
    {
        get
        {
            try
            {
                using var document = JsonDocument.Parse(Body);
                return document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty("title", out var title)
                    && title.ValueKind == JsonValueKind.String
                    ? title.GetString()
                    : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    public override string ToString() =>
        $"{Request} -> {Code} {MediaType}: {(Body.Length > 600 ? Body[..600] + "…" : Body)}";
}

/// <summary>Real HTTP calls to one PushFunctions instance, each bounded so a hang fails the test instead of stalling the run.</summary>
public sealed class PushApi(HttpClient http, string baseUrl, PushKeys keys)
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public string BaseUrl { get; } = baseUrl;

    public PushKeys Keys { get; } = keys;

    public Credential Server => Credential.ServerKey(Keys.ServerKey);

    public HttpRequestMessage Request(HttpMethod method, string path, Credential credential, string? jsonBody = null)
    {
        var request = new HttpRequestMessage(method, BaseUrl + path);
        credential.Apply(request);
        if (jsonBody is not null) request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
        return request;
    }

    public async Task<ApiResponse> SendAsync(HttpRequestMessage request, TimeSpan? timeout = null)
    {
        var description = $"{request.Method} {request.RequestUri?.PathAndQuery}";
        if (description.Length > 200) description = description[..200] + "…";
        using var cancel = new CancellationTokenSource(timeout ?? RequestTimeout);
        try
        {
            using var response = await http.SendAsync(request, cancel.Token);
            var body = await response.Content.ReadAsStringAsync(cancel.Token);
            return new ApiResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, response.Headers, description);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"{description} did not finish within {timeout ?? RequestTimeout} (hang).");
        }
        finally
        {
            request.Dispose();
        }
    }

    public Task<ApiResponse> CallAsync(HttpMethod method, string path, Credential credential, string? jsonBody = null) =>
        SendAsync(Request(method, path, credential, jsonBody));

    public Task<ApiResponse> ServerAsync(HttpMethod method, string path, object? body = null) =>
        CallAsync(method, path, Server, body is null ? null : body as string ?? JsonSerializer.Serialize(body));

    public async Task<Session> LoginAsync(string userId, string? device = null)
    {
        var response = await ServerAsync(HttpMethod.Post, "/api/login", new { userId, userName = "Name of " + (userId.Length > 40 ? userId[..40] : userId), device });
        Assert.True(response.Status == HttpStatusCode.Created, $"login failed: {response}");
        var json = response.Json;
        return new Session(userId, json.GetProperty("sessionId").GetString()!, json.GetProperty("sessionToken").GetString()!);
    }

    /// <summary>A private message with <paramref name="payloadJson"/> (raw JSON) as payload; returns the 202 answer.</summary>
    public async Task<Sent> SendToUserAsync(string userId, string payloadJson, string? idempotencyKey = null)
    {
        var response = await SendToUserRawAsync(userId, payloadJson, idempotencyKey);
        Assert.True(response.Status == HttpStatusCode.Accepted, $"send failed: {response}");
        return Sent.From(response);
    }

    public Task<ApiResponse> SendToUserRawAsync(string userId, string payloadJson, string? idempotencyKey = null)
    {
        var request = Request(HttpMethod.Post, $"/api/users/{userId}/messages", Server, $"{{\"payload\":{payloadJson}}}");
        if (idempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        return SendAsync(request);
    }

    /// <summary>POST /api/sync as the session; <paramref name="cursorsJson"/> null sends no cursors at all (a fresh device).</summary>
    public async Task<JsonElement> SyncAsync(Session session, string? cursorsJson = null)
    {
        var response = await CallAsync(HttpMethod.Post, "/api/sync", Credential.Session(session.Token),
            cursorsJson is null ? "{}" : $"{{\"cursors\":{cursorsJson}}}");
        Assert.True(response.Status == HttpStatusCode.OK, $"sync failed: {response}");
        return response.Json;
    }

    /// <summary>The messages of one stream in a sync answer (empty when the stream is not in it).</summary>
    public static IReadOnlyList<JsonElement> Messages(JsonElement sync, string stream) =>
        sync.GetProperty("streams").TryGetProperty(stream, out var entry)
            ? [.. entry.GetProperty("messages").EnumerateArray()]
            : [];
}

public sealed record Session(string UserId, string SessionId, string Token);

public sealed record Sent(string Id, string Stream, long Seq)
{
    public static Sent From(ApiResponse response)
    {
        var json = response.Json;
        return new Sent(json.GetProperty("id").GetString()!, json.GetProperty("stream").GetString()!, json.GetProperty("seq").GetInt64());
    }
}
