using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Api;

/// <summary>Maps the Kubernetes REST surface: health, version, discovery, OpenAPI and the resource paths.</summary>
internal static class ApiEndpoints
{
    public static void MapKubernetesApi(this WebApplication app, ClusterStore store)
    {
        var stopping = app.Lifetime.ApplicationStopping;
        var resources = new ResourceApi(store, stopping);

        foreach (var health in new[] { "/healthz", "/readyz", "/livez" })
        {
            app.MapGet(health, () => Results.Text("ok"));
        }

        app.MapGet("/version", (HttpContext c) => ResourceApi.WriteAsync(c, 200, Discovery.Version()));
        app.MapGet("/openapi/v2", (HttpContext c) => OpenApi.WriteV2Async(c));
        app.MapGet("/openapi/v3", (HttpContext c) => OpenApi.WriteV3IndexAsync(c));
        app.MapGet("/openapi/v3/{**path}", (HttpContext c, string path) => OpenApi.WriteV3Async(c, path));

        app.Map("/api/{**path}", (HttpContext c, string? path) =>
        {
            var segments = Split(path);
            if (segments.Length == 0)
            {
                return c.Request.Method == "GET" ? ResourceApi.WriteAsync(c, 200, Discovery.CoreVersions(c.Request.Host.Value ?? "")) : NotFound(c);
            }

            if (segments[0] != "v1")
            {
                return NotFound(c);
            }

            return Serve(c, resources, "", "v1", segments[1..]);
        });
        app.MapGet("/api", (HttpContext c) => ResourceApi.WriteAsync(c, 200, Discovery.CoreVersions(c.Request.Host.Value ?? "")));
        app.MapGet("/apis", (HttpContext c) => ResourceApi.WriteAsync(c, 200, Discovery.Groups()));
        app.Map("/apis/{**path}", (HttpContext c, string? path) =>
        {
            var segments = Split(path);
            if (segments.Length == 0)
            {
                return ResourceApi.WriteAsync(c, 200, Discovery.Groups());
            }

            if (segments.Length == 1)
            {
                return Discovery.Group(segments[0]) is { } group && c.Request.Method == "GET" ? ResourceApi.WriteAsync(c, 200, group) : NotFound(c);
            }

            return Serve(c, resources, segments[0], segments[1], segments[2..]);
        });
    }

    private static Task Serve(HttpContext context, ResourceApi resources, string group, string version, string[] rest)
    {
        if (rest.Length == 0)
        {
            return Discovery.Resources(group, version) is { } list && context.Request.Method == "GET"
                ? ResourceApi.WriteAsync(context, 200, list)
                : NotFound(context);
        }
        var target = ResourceRequest.Parse(group, version, rest);
        return target is null ? NotFound(context) : resources.HandleAsync(context, target);
    }

    private static string[] Split(string? path) =>
        string.IsNullOrEmpty(path) ? [] : path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    public static Task NotFound(HttpContext context) =>
        ResourceApi.WriteAsync(context, 404, ApiStatus.Failure(404, "NotFound", "the server could not find the requested resource"));
}
