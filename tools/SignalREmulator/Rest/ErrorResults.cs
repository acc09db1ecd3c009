using System.Text.Json;
using System.Text.Json.Serialization;
using SignalREmulator.Admin;
using SignalREmulator.Groups;

namespace SignalREmulator.Rest;

/// <summary>The service's ErrorDetail body (spec §1.1); fields the emulator has nothing for are left out.</summary>
public sealed record ErrorDetail(string Code, string Message);

/// <summary>Error responses with the <c>x-ms-error-code</c> header and, except for HEAD, an ErrorDetail body.</summary>
public static class ErrorResults
{
    public const string ConnectionNotExisted = "Warning.Connection.NotExisted";
    public const string UserNotExisted = "Warning.User.NotExisted";
    public const string GroupNotExisted = "Warning.Group.NotExisted";
    public const string UserNotInGroup = "Info.User.NotInGroup";
    public const string ConnectionNotExistedError = "Error.Connection.NotExisted";

    public static IResult NotFound(string errorCode, string message) => new Error(StatusCodes.Status404NotFound, errorCode, message);

    public static IResult BadRequest(string message) => new Error(StatusCodes.Status400BadRequest, "Error.InvalidRequest", message);

    public static IResult Status(int status, string code, string message) => new Error(status, code, message);

    private sealed class Error(int status, string code, string message) : IResult
    {
        public Task ExecuteAsync(HttpContext context) => WriteAsync(context, status, code, message);
    }

    public static Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.Headers["x-ms-error-code"] = code;
        if (HttpMethods.IsHead(context.Request.Method)) return Task.CompletedTask;
        return response.WriteAsJsonAsync(new ErrorDetail(code, message), EmulatorJson.Default.ErrorDetail);
    }
}

/// <summary>Source-generated JSON for the few bodies the emulator writes or reads as objects: no reflection at run time.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorDetail))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(AccessKeyResponse))]
[JsonSerializable(typeof(ManagedIdentityToken))]
[JsonSerializable(typeof(StatsSnapshot))]
[JsonSerializable(typeof(FaultSettings))]
[JsonSerializable(typeof(SavedMembership[]))]
public sealed partial class EmulatorJson : JsonSerializerContext;

public sealed record TokenResponse(string Token);

/// <summary>The body of <c>GET /api/v1/auth/accessKey</c>: PascalCase, as the service writes it (spec §2.3).</summary>
public sealed record AccessKeyResponse([property: JsonPropertyName("AccessKey")] string AccessKey, [property: JsonPropertyName("KeyId")] string KeyId);

/// <summary>An App Service managed-identity token response (api-version 2019-08-01), as Azure.Identity reads it.</summary>
public sealed record ManagedIdentityToken(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("expires_on")] string ExpiresOn,
    [property: JsonPropertyName("resource")] string Resource,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("client_id")] string ClientId);
