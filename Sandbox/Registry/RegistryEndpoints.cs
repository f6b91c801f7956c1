using System.Globalization;
using System.Text.Json;

namespace Sandbox.Registry;

/// <summary>
/// A read-only OCI distribution API for <see cref="DemoImages"/> under <c>/v2/</c>, without a token (like a public
/// registry): tags list with <c>n</c>/<c>last</c> paging and a <c>Link</c> header, manifests by tag or digest (GET and
/// HEAD, with <c>Docker-Content-Digest</c>), and blobs. Errors carry the OCI error body
/// (<c>{"errors":[{"code":"NAME_UNKNOWN",...}]}</c>).
/// </summary>
internal static class RegistryEndpoints
{
    public const string PathPrefix = "/v2";

    public static void MapDemoRegistry(this WebApplication app, DemoImages images)
    {
        // Routing treats "/v2" and "/v2/" alike: one route answers both.
        app.MapMethods("/v2", ["GET", "HEAD"], (HttpContext c) => Root(c));
        app.Map("/v2/{**path}", (HttpContext c, string? path) => Serve(c, images, path ?? ""));
    }

    private static Task Root(HttpContext context)
    {
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        return WriteJsonAsync(context, 200, new { });
    }

    private static Task Serve(HttpContext context, DemoImages images, string path)
    {
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        var method = context.Request.Method;
        if (method is not ("GET" or "HEAD"))
        {
            return ErrorAsync(context, 405, "UNSUPPORTED", "this registry is read-only");
        }

        if (path.EndsWith("/tags/list", StringComparison.Ordinal))
        {
            return TagsAsync(context, images, path[..^"/tags/list".Length]);
        }

        if (Split(path, "/manifests/") is { } manifest)
        {
            return ManifestAsync(context, images, manifest.Name, manifest.Reference);
        }

        if (Split(path, "/blobs/") is { } blob)
        {
            return BlobAsync(context, images, blob.Name, blob.Reference);
        }

        return ErrorAsync(context, 404, "NAME_UNKNOWN", "repository name not known to registry");
    }

    private static (string Name, string Reference)? Split(string path, string marker)
    {
        var at = path.LastIndexOf(marker, StringComparison.Ordinal);
        return at <= 0 || at + marker.Length == path.Length || path.IndexOf('/', at + marker.Length) >= 0
            ? null
            : (path[..at], path[(at + marker.Length)..]);
    }

    private static Task TagsAsync(HttpContext context, DemoImages images, string name)
    {
        if (images.Tags(name) is not { } all)
        {
            return ErrorAsync(context, 404, "NAME_UNKNOWN", "repository name not known to registry", name);
        }

        var query = context.Request.Query;
        IEnumerable<string> tags = all;
        if (query["last"].ToString() is { Length: > 0 } last)
        {
            tags = tags.Where(t => string.CompareOrdinal(t, last) > 0);
        }

        var remaining = tags.ToList();
        var page = remaining;
        if (query.ContainsKey("n"))
        {
            if (!int.TryParse(query["n"], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return ErrorAsync(context, 400, "PAGINATION_NUMBER_INVALID", "n must be a non-negative integer");
            }

            page = remaining.Take(n).ToList();
            if (page.Count > 0 && page.Count < remaining.Count)
            {
                var next = $"/v2/{name}/tags/list?n={n}&last={Uri.EscapeDataString(page[^1])}";
                context.Response.Headers.Link = $"<{next}>; rel=\"next\"";
            }
        }

        return WriteJsonAsync(context, 200, new { name, tags = page });
    }

    private static Task ManifestAsync(HttpContext context, DemoImages images, string name, string reference)
    {
        if (!images.HasRepository(name))
        {
            return ErrorAsync(context, 404, "NAME_UNKNOWN", "repository name not known to registry", name);
        }

        return images.Manifest(name, reference) is { } manifest
            ? WriteBlobAsync(context, manifest)
            : ErrorAsync(context, 404, "MANIFEST_UNKNOWN", "manifest unknown", reference);
    }

    private static Task BlobAsync(HttpContext context, DemoImages images, string name, string digest)
    {
        if (!images.HasRepository(name))
        {
            return ErrorAsync(context, 404, "NAME_UNKNOWN", "repository name not known to registry", name);
        }

        return images.BlobFor(name, digest) is { } blob
            ? WriteBlobAsync(context, blob)
            : ErrorAsync(context, 404, "BLOB_UNKNOWN", "blob unknown to registry", digest);
    }

    private static async Task WriteBlobAsync(HttpContext context, Blob blob)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = blob.MediaType;
        context.Response.ContentLength = blob.Content.Length;
        context.Response.Headers["Docker-Content-Digest"] = blob.Digest;
        context.Response.Headers.ETag = $"\"{blob.Digest}\"";
        if (context.Request.Method != "HEAD")
        {
            await context.Response.Body.WriteAsync(blob.Content, context.RequestAborted);
        }
    }

    private static Task ErrorAsync(HttpContext context, int status, string code, string message, string? detail = null) =>
        WriteJsonAsync(context, status, new { errors = new[] { new { code, message, detail } } });

    private static async Task WriteJsonAsync<T>(HttpContext context, int status, T body)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        if (context.Request.Method != "HEAD")
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }
}
