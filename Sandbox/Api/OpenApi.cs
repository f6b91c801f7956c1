namespace Sandbox.Api;

/// <summary>OpenAPI documents: placeholder until kubectl's needs are pinned down.</summary>
internal static class OpenApi
{
    public static Task WriteV2Async(HttpContext context) => ApiEndpoints.NotFound(context);
    public static Task WriteV3IndexAsync(HttpContext context) => ApiEndpoints.NotFound(context);
    public static Task WriteV3Async(HttpContext context, string path) => ApiEndpoints.NotFound(context);
}
