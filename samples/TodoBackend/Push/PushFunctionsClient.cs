using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace TodoBackend.Push;

public sealed record PushLogin(string SessionId, string SessionToken, string UserId, DateTimeOffset ExpiresAt);

public sealed record PushSent(string Id, string Stream, long Seq);

public sealed record AccountDeleted(int SessionsRevoked, int ConnectionsClosed);

/// <summary>A PushFunctions call failed: its status and the problem's title.</summary>
public sealed class PushFunctionsException(string message, int? status = null, Exception? inner = null) : Exception(message, inner)
{
    public int? Status { get; } = status;
}

/// <summary>The main backend's side of the PushFunctions HTTP API (server key): the calls this sample makes.</summary>
public sealed class PushFunctionsClient(HttpClient http, ILogger<PushFunctionsClient> logger)
{
    public Task<PushLogin> LoginAsync(string userId, string userName, string device, CancellationToken ct = default) =>
        SendAsync<PushLogin>(HttpMethod.Post, "api/login", new { userId, userName, device }, ct);

    public Task<PushSent> SendToUserAsync(string userId, object payload, CancellationToken ct = default) =>
        SendAsync<PushSent>(HttpMethod.Post, $"api/users/{Uri.EscapeDataString(userId)}/messages", new { payload }, ct);

    public Task<PushSent> SendToRoomAsync(string roomId, object payload, string? from, CancellationToken ct = default) =>
        SendAsync<PushSent>(HttpMethod.Post, $"api/rooms/{Uri.EscapeDataString(roomId)}/messages", new { payload, from }, ct);

    public Task<PushSent> BroadcastAsync(object payload, CancellationToken ct = default) =>
        SendAsync<PushSent>(HttpMethod.Post, "api/broadcast", new { payload }, ct);

    public Task AddRoomMemberAsync(string roomId, string userId, CancellationToken ct = default) =>
        SendAsync<object>(HttpMethod.Put, $"api/rooms/{Uri.EscapeDataString(roomId)}/members/{Uri.EscapeDataString(userId)}", null, ct);

    public Task<AccountDeleted> DeleteUserAsync(string userId, CancellationToken ct = default) =>
        SendAsync<AccountDeleted>(HttpMethod.Delete, $"api/users/{Uri.EscapeDataString(userId)}", null, ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            logger.LogWarning("PushFunctions {Method} /{Path}: {Error}", method, path, e.Message);
            throw new PushFunctionsException($"PushFunctions did not answer: {e.Message}", null, e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var title = await ProblemTitleAsync(response, ct);
                logger.LogWarning("PushFunctions {Method} /{Path}: {Status} {Title}", method, path, (int)response.StatusCode, title);
                throw new PushFunctionsException($"PushFunctions answered {(int)response.StatusCode}: {title}", (int)response.StatusCode);
            }
            if (response.Content.Headers.ContentLength == 0 || response.StatusCode == System.Net.HttpStatusCode.NoContent) return default!;
            return (await response.Content.ReadFromJsonAsync<T>(JsonSerializerOptions.Web, ct))!;
        }
    }

    private static async Task<string> ProblemTitleAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            return doc.RootElement.TryGetProperty("title", out var title) ? title.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
            return response.ReasonPhrase ?? "";
        }
    }
}
