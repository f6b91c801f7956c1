using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Portal.Registry;

namespace Portal.Tests.Registry;

/// <summary>
/// Pushes test images through the distribution API as a build tool would: config blob upload (POST, then PUT with
/// <c>?digest=</c>), then the manifest or index PUT with its media type. Images have no layers: the registry
/// accepts that, and only the config's <c>created</c> matters here.
/// </summary>
public sealed class ImagePusher(Uri registry, Func<string, AuthenticationHeaderValue?>? authorize = null) : IDisposable
{
    private readonly HttpClient http = new(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });

    /// <summary>Pushes a one-platform image and tags it; returns the manifest digest.</summary>
    public async Task<string> PushImageAsync(
        string repository, string tag, string created, string mediaType = MediaTypes.OciManifest, string architecture = "amd64")
    {
        var manifest = await ImageManifestAsync(repository, created, mediaType, architecture);
        return await PushManifestAsync(repository, tag, mediaType, manifest);
    }

    /// <summary>Pushes an image per platform (untagged, as buildx does) and an index over them under the tag; returns the index digest.</summary>
    public async Task<string> PushIndexAsync(
        string repository, string tag, string mediaType, params (string Os, string Architecture, string Created)[] platforms)
    {
        var imageType = mediaType == MediaTypes.OciIndex ? MediaTypes.OciManifest : MediaTypes.DockerManifest;
        var entries = new List<object>();
        foreach (var (os, architecture, created) in platforms)
        {
            var manifest = await ImageManifestAsync(repository, created, imageType, architecture, os);
            var digest = await PushManifestAsync(repository, Digest(manifest), imageType, manifest);
            entries.Add(new { mediaType = imageType, digest, size = manifest.Length, platform = new { os, architecture } });
        }

        var index = JsonSerializer.SerializeToUtf8Bytes(new { schemaVersion = 2, mediaType, manifests = entries });
        return await PushManifestAsync(repository, tag, mediaType, index);
    }

    public async Task<string> PushManifestAsync(string repository, string reference, string mediaType, byte[] manifest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(registry, $"/v2/{repository}/manifests/{reference}"))
        {
            Content = new ByteArrayContent(manifest) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } },
        };
        await SendAsync(request, repository, HttpStatusCode.Created);
        return Digest(manifest);
    }

    public async Task<string> PushBlobAsync(string repository, byte[] blob)
    {
        var digest = Digest(blob);
        using var start = new HttpRequestMessage(HttpMethod.Post, new Uri(registry, $"/v2/{repository}/blobs/uploads/"));
        var location = (await SendAsync(start, repository, HttpStatusCode.Accepted)).Headers.Location!;
        var upload = new Uri(registry, location);
        var separator = upload.Query.Length > 0 ? "&" : "?";
        using var finish = new HttpRequestMessage(HttpMethod.Put, new Uri(upload + separator + "digest=" + Uri.EscapeDataString(digest)))
        {
            Content = new ByteArrayContent(blob) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } },
        };
        await SendAsync(finish, repository, HttpStatusCode.Created);
        return digest;
    }

    public static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    private async Task<byte[]> ImageManifestAsync(string repository, string created, string mediaType, string architecture, string os = "linux")
    {
        var config = Encoding.UTF8.GetBytes(
            $$"""{"rootfs":{"type":"layers","diff_ids":[]},"created":"{{created}}","architecture":"{{architecture}}","os":"{{os}}"}""");
        var configDigest = await PushBlobAsync(repository, config);
        var configType = mediaType == MediaTypes.OciManifest ? MediaTypes.OciConfig : MediaTypes.DockerConfig;
        return JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType,
            config = new { mediaType = configType, digest = configDigest, size = config.Length },
            layers = Array.Empty<object>(),
        });
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string repository, HttpStatusCode expected)
    {
        request.Headers.Authorization = authorize?.Invoke(repository);
        var response = await http.SendAsync(request);
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException(
                $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return response;
    }

    public void Dispose() => http.Dispose();
}
