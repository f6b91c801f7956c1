using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Portal.Requests;

/// <summary>
/// The JSON of a request's API resource (<see cref="RequestsApi.Resource"/>), written once per <see cref="RequestDetail"/>
/// and kept as long as that detail lives: <see cref="RequestQueries.ResourceDetailAsync"/> returns the same detail while
/// the request's version, names and policy answer are unchanged, so a GET of an unchanged request writes stored bytes.
/// Serialized with the API's own JSON options, so the bytes are those <c>TypedResults.Ok</c> would write.
/// </summary>
public sealed class ResourceJson
{
    private readonly ConditionalWeakTable<RequestDetail, byte[]> written = new();
    private readonly ConditionalWeakTable<RequestDetail, byte[]>.CreateValueCallback write;

    public ResourceJson(IOptions<JsonOptions> options)
    {
        var typeInfo = (JsonTypeInfo<RequestResource>)options.Value.SerializerOptions.GetTypeInfo(typeof(RequestResource));
        write = detail => JsonSerializer.SerializeToUtf8Bytes(RequestsApi.Resource(detail), typeInfo);
    }

    public Utf8JsonResult<RequestResource> Of(RequestDetail detail) => new(written.GetValue(detail, write));
}

/// <summary>200 with JSON bytes written before; described to OpenAPI as a <typeparamref name="T"/>.</summary>
public sealed class Utf8JsonResult<T>(byte[] utf8) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IEndpointMetadataProvider
{
    private const string JsonContentType = "application/json; charset=utf-8";

    public int? StatusCode => StatusCodes.Status200OK;

    public string? ContentType => JsonContentType;

    /// <summary>The bytes written (tests compare them).</summary>
    public ReadOnlyMemory<byte> Utf8 => utf8;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = JsonContentType;
        response.ContentLength = utf8.Length;
        return response.Body.WriteAsync(utf8, httpContext.RequestAborted).AsTask();
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(T), ["application/json"]));
}
