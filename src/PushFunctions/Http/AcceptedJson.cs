using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace PushFunctions.Http;

/// <summary>
/// 202 Accepted with a small JSON body sent with its Content-Length, in one write. <c>TypedResults.Accepted</c> streams
/// its JSON, so the server answers chunked: two socket writes per request (the body, then the closing chunk) for a
/// few dozen bytes. The same body, status and content type.
/// </summary>
public sealed class AcceptedJson<TValue>(TValue value) : IResult, IStatusCodeHttpResult, IValueHttpResult<TValue>, IValueHttpResult, IContentTypeHttpResult
{
    public const string JsonContentType = "application/json; charset=utf-8";

    public TValue Value => value;
    object? IValueHttpResult.Value => value;
    public int StatusCode => StatusCodes.Status202Accepted;
    int? IStatusCodeHttpResult.StatusCode => StatusCode;
    public string ContentType => JsonContentType;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        // The options every JSON answer of the app is written with (camelCase), as TypedResults use them.
        var options = httpContext.RequestServices.GetService<IOptions<JsonOptions>>()?.Value.SerializerOptions ?? JsonSerializerOptions.Web;
        var body = JsonSerializer.SerializeToUtf8Bytes(value, options.GetTypeInfo(typeof(TValue)));
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = JsonContentType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, 0, body.Length, httpContext.RequestAborted);
    }
}
