using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Portal.Registry;

/// <summary>A tag list, and whether it was cut at <see cref="ImageCatalogOptions.MaxTags"/>.</summary>
public sealed record TagNames(IReadOnlyList<string> Tags, bool Truncated);

/// <summary>What a manifest reference (tag or digest) points at.</summary>
public sealed record ManifestDescriptor(string Digest, string? MediaType);

/// <summary>One platform entry of an image index.</summary>
public sealed record PlatformManifest(string Digest, string? MediaType, string? Os, string? Architecture);

/// <summary>The parts of a manifest the catalog reads: an index's platform entries, or an image's config blob.</summary>
public sealed record Manifest(string Digest, string? MediaType, string? ConfigDigest, IReadOnlyList<PlatformManifest> Platforms)
{
    public bool IsIndex => MediaTypes.IsIndex(MediaType) || (ConfigDigest is null && Platforms.Count > 0);
}

/// <summary>
/// Speaks the OCI distribution API to the configured registries: ping, tag list (following <c>Link</c> pages), manifests
/// by tag or digest and config blobs. Authenticates anonymously, with Basic, or with the Bearer token flow. Every
/// outcome is a <see cref="RegistryResult{T}"/>; network failures become <see cref="RegistryStatus.Unreachable"/>.
/// </summary>
public sealed partial class RegistryClient(HttpClient http, RegistryTokenCache tokens, ILogger<RegistryClient> logger)
{
    // Manifests and configs are a few KB; the cap keeps a misbehaving registry from filling memory.
    private const int MaxDocumentBytes = 4 * 1024 * 1024;

    public Task<RegistryResult<bool>> PingAsync(RegistryEndpoint registry, CancellationToken cancellationToken = default) =>
        SendAsync(registry, repository: null, () => new HttpRequestMessage(HttpMethod.Get, Api(registry, "")),
            (_, _) => Task.FromResult(RegistryResult<bool>.Ok(true)), RegistryStatus.RegistryError, cancellationToken);

    /// <summary>All tags of a repository, page by page (<c>n</c>, then the <c>Link: &lt;...&gt;; rel="next"</c> header).</summary>
    public async Task<RegistryResult<TagNames>> ListTagsAsync(
        RegistryEndpoint registry, string repository, int pageSize, int maxTags, CancellationToken cancellationToken = default)
    {
        var tags = new List<string>();
        var seen = new HashSet<Uri>();
        Uri? next = Api(registry, $"{repository}/tags/list?n={pageSize}");
        while (next is not null && seen.Add(next))
        {
            var page = next;
            var result = await SendAsync(registry, repository, () => new HttpRequestMessage(HttpMethod.Get, page),
                (response, ct) => ReadTagPageAsync(registry, response, ct), RegistryStatus.RepositoryNotFound, cancellationToken);
            if (!result.Succeeded)
            {
                return result.FailureAs<TagNames>();
            }

            tags.AddRange(result.Value!.Tags);
            if (tags.Count >= maxTags)
            {
                return RegistryResult<TagNames>.Ok(new TagNames(tags.Take(maxTags).ToList(), Truncated: true));
            }

            next = result.Value.Next;
        }

        return RegistryResult<TagNames>.Ok(new TagNames(tags, Truncated: false));
    }

    /// <summary>
    /// The digest a tag points at, by <c>HEAD</c> (cheap, and not counted as a pull by Docker Hub). A registry that
    /// sends no <c>Docker-Content-Digest</c> is asked with <c>GET</c>, and the digest is the sha256 of the body.
    /// </summary>
    public async Task<RegistryResult<ManifestDescriptor>> HeadManifestAsync(
        RegistryEndpoint registry, string repository, string reference, CancellationToken cancellationToken = default)
    {
        var head = await SendAsync(registry, repository, () => ManifestRequest(HttpMethod.Head, registry, repository, reference),
            (response, _) => Task.FromResult(RegistryResult<ManifestDescriptor?>.Ok(
                DigestHeader(response) is { } digest ? new ManifestDescriptor(digest, response.Content.Headers.ContentType?.MediaType) : null)),
            RegistryStatus.TagNotFound, cancellationToken);
        if (!head.Succeeded)
        {
            return head.FailureAs<ManifestDescriptor>();
        }

        if (head.Value is { } descriptor)
        {
            return RegistryResult<ManifestDescriptor>.Ok(descriptor);
        }

        var manifest = await GetManifestAsync(registry, repository, reference, cancellationToken);
        return manifest.Succeeded
            ? RegistryResult<ManifestDescriptor>.Ok(new ManifestDescriptor(manifest.Value!.Digest, manifest.Value.MediaType))
            : manifest.FailureAs<ManifestDescriptor>();
    }

    public Task<RegistryResult<Manifest>> GetManifestAsync(
        RegistryEndpoint registry, string repository, string reference, CancellationToken cancellationToken = default) =>
        SendAsync(registry, repository, () => ManifestRequest(HttpMethod.Get, registry, repository, reference),
            (response, ct) => ReadManifestAsync(registry, response, ct), RegistryStatus.TagNotFound, cancellationToken);

    /// <summary>
    /// When the image behind a manifest digest was built: the config blob's <c>created</c>. For an index, the
    /// linux/amd64 image's (or else the first real platform's). Null when the config has no such field.
    /// </summary>
    public async Task<RegistryResult<DateTimeOffset?>> GetCreatedAsync(
        RegistryEndpoint registry, string repository, string digest, CancellationToken cancellationToken = default)
    {
        var manifest = await GetManifestAsync(registry, repository, digest, cancellationToken);
        if (manifest.Succeeded && manifest.Value!.IsIndex)
        {
            if (PreferredPlatform(manifest.Value.Platforms) is not { } platform)
            {
                return RegistryResult<DateTimeOffset?>.Ok(null);
            }

            manifest = await GetManifestAsync(registry, repository, platform.Digest, cancellationToken);
        }

        if (!manifest.Succeeded)
        {
            return manifest.FailureAs<DateTimeOffset?>();
        }

        if (manifest.Value!.ConfigDigest is not { } config)
        {
            return RegistryResult<DateTimeOffset?>.Ok(null);
        }

        return await SendAsync(registry, repository, () => new HttpRequestMessage(HttpMethod.Get, Api(registry, $"{repository}/blobs/{config}")),
            (response, ct) => ReadCreatedAsync(registry, response, ct), RegistryStatus.TagNotFound, cancellationToken);
    }

    internal static PlatformManifest? PreferredPlatform(IReadOnlyList<PlatformManifest> platforms) =>
        platforms.FirstOrDefault(p => p.Os == "linux" && p.Architecture == "amd64")
        // Build tools add attestation manifests as platform unknown/unknown: they are not an image to date.
        ?? platforms.FirstOrDefault(p => p.Os != "unknown" && p.Architecture != "unknown");

    /// <summary>
    /// Sends with the header this registry is known to want, and on a 401 follows its challenge once: Basic with the
    /// configured credentials, or Bearer with a token from the challenge's realm. Then reads the answer.
    /// </summary>
    private async Task<RegistryResult<T>> SendAsync<T>(
        RegistryEndpoint registry,
        string? repository,
        Func<HttpRequestMessage> createRequest,
        Func<HttpResponseMessage, CancellationToken, Task<RegistryResult<T>>> read,
        RegistryStatus notFound,
        CancellationToken cancellationToken)
    {
        var scope = repository is null ? "" : $"repository:{repository}:pull";
        var what = repository ?? "its API";
        try
        {
            var sent = tokens.Find(registry, scope);
            var response = await SendOnceAsync(createRequest, sent, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                var challenge = AuthChallenge.From(response.Headers.WwwAuthenticate);
                response.Dispose();
                var authorization = await AnswerChallengeAsync(registry, challenge, scope, sent, what, cancellationToken);
                if (!authorization.Succeeded)
                {
                    return authorization.FailureAs<T>();
                }

                response = await SendOnceAsync(createRequest, authorization.Value, cancellationToken);
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    tokens.Forget(registry, scope, authorization.Value!);
                }
            }

            using (response)
            {
                return response.StatusCode switch
                {
                    _ when response.IsSuccessStatusCode => await read(response, cancellationToken),
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => Refused<T>(registry, what),
                    HttpStatusCode.NotFound => RegistryResult<T>.Failed(notFound, notFound == RegistryStatus.RepositoryNotFound
                        ? $"The repository {what} does not exist in the registry '{registry.Name}'."
                        : $"The registry '{registry.Name}' has no such image in {what}."),
                    _ => RegistryResult<T>.Failed(RegistryStatus.RegistryError,
                        $"The registry '{registry.Name}' answered {(int)response.StatusCode} {response.ReasonPhrase}."),
                };
            }
        }
        catch (Exception exception) when (IsOutage(exception, cancellationToken))
        {
            logger.LogWarning("Registry {Registry} could not be reached: {Reason}", registry.Name, Describe(exception));
            return RegistryResult<T>.Failed(RegistryStatus.Unreachable,
                $"The registry '{registry.Name}' cannot be reached ({Describe(exception)}).");
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(
        Func<HttpRequestMessage> createRequest, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken)
    {
        using var request = createRequest();
        request.Headers.Authorization = authorization;
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    private async Task<RegistryResult<AuthenticationHeaderValue>> AnswerChallengeAsync(
        RegistryEndpoint registry, AuthChallenge? challenge, string scope, AuthenticationHeaderValue? rejected, string what, CancellationToken cancellationToken)
    {
        if (challenge is { IsBearer: true, Parameters: var parameters } && parameters.ContainsKey("realm"))
        {
            if (rejected is not null)
            {
                tokens.Forget(registry, scope, rejected);
            }

            // Requests that were refused together (a cold cache, many tags at once) ask the token service once.
            if (tokens.Find(registry, scope) is { Scheme: "Bearer" } fetchedMeanwhile)
            {
                return RegistryResult<AuthenticationHeaderValue>.Ok(fetchedMeanwhile);
            }

            return await tokens.FetchOnceAsync(
                registry, scope, () => FetchTokenAsync(registry, challenge, scope, what, CancellationToken.None), cancellationToken);
        }

        if (challenge is { IsBasic: true } && registry.HasCredentials)
        {
            return RegistryResult<AuthenticationHeaderValue>.Ok(tokens.UseBasic(registry));
        }

        return Refused<AuthenticationHeaderValue>(registry, what);
    }

    /// <summary>The token flow: GET realm?service=...&amp;scope=..., with Basic credentials when configured.</summary>
    private async Task<RegistryResult<AuthenticationHeaderValue>> FetchTokenAsync(
        RegistryEndpoint registry, AuthChallenge challenge, string scope, string what, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(challenge["realm"], UriKind.Absolute, out var realm) || realm.Scheme is not ("http" or "https"))
        {
            return RegistryResult<AuthenticationHeaderValue>.Failed(RegistryStatus.RegistryError,
                $"The registry '{registry.Name}' named a token service that is not an http(s) URL.");
        }

        var query = new List<string>();
        if (challenge["service"] is { } service)
        {
            query.Add("service=" + Uri.EscapeDataString(service));
        }

        // The challenge's scope is what the registry wants; ours is the fallback when it names none (the /v2/ ping).
        var requested = challenge["scope"] ?? scope;
        foreach (var part in requested.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            query.Add("scope=" + Uri.EscapeDataString(part));
        }

        var uri = new UriBuilder(realm)
        {
            Query = string.Join('&', new[] { realm.Query.TrimStart('?') }.Concat(query).Where(p => p.Length > 0)),
        }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (registry.HasCredentials && MayReceiveCredentials(registry, uri))
        {
            request.Headers.Authorization = RegistryTokenCache.Basic(registry);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return Refused<AuthenticationHeaderValue>(registry, what);
        }

        if (!response.IsSuccessStatusCode)
        {
            return RegistryResult<AuthenticationHeaderValue>.Failed(RegistryStatus.RegistryError,
                $"The token service of the registry '{registry.Name}' answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        }

        using var body = await ReadJsonAsync(response, cancellationToken);
        var root = body?.RootElement;
        var token = root is { ValueKind: JsonValueKind.Object } r
            ? (r.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null)
              ?? (r.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null)
            : null;
        if (string.IsNullOrEmpty(token))
        {
            return RegistryResult<AuthenticationHeaderValue>.Failed(RegistryStatus.RegistryError,
                $"The token service of the registry '{registry.Name}' answered without a token.");
        }

        // 60 s is the token spec's default when expires_in is missing.
        var seconds = root!.Value.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var s) && s > 0 ? s : 60;
        return RegistryResult<AuthenticationHeaderValue>.Ok(tokens.Store(registry, scope, token, TimeSpan.FromSeconds(seconds)));
    }

    /// <summary>
    /// The password goes to the token service only over TLS or to the registry's own host: a challenge must not be
    /// able to send it in clear text to a host nobody configured.
    /// </summary>
    private static bool MayReceiveCredentials(RegistryEndpoint registry, Uri realm) =>
        realm.Scheme == Uri.UriSchemeHttps || string.Equals(realm.Host, registry.BaseUri.Host, StringComparison.OrdinalIgnoreCase);

    private static RegistryResult<T> Refused<T>(RegistryEndpoint registry, string what) =>
        RegistryResult<T>.Failed(RegistryStatus.Unauthorized, registry.HasCredentials
            ? $"The registry '{registry.Name}' refused access to {what}: check the credentials configured for it."
            : $"The registry '{registry.Name}' requires credentials for {what}, and none are configured for it.");

    private static bool IsOutage(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        HttpRequestException => true,
        // HttpClient.Timeout surfaces as a cancellation that nobody asked for.
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        IOException or AuthenticationException => true,
        _ => false,
    };

    private static string Describe(Exception exception) => exception switch
    {
        OperationCanceledException => "no answer in time",
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => "connection refused or host down",
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "host name not found",
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "TLS handshake failed",
        _ => exception.GetBaseException().Message,
    };

    private static Uri Api(RegistryEndpoint registry, string path) => new(registry.BaseUri, "v2/" + path);

    private static HttpRequestMessage ManifestRequest(HttpMethod method, RegistryEndpoint registry, string repository, string reference)
    {
        var request = new HttpRequestMessage(method, Api(registry, $"{repository}/manifests/{reference}"));
        foreach (var type in MediaTypes.Manifests)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        return request;
    }

    private static string? DigestHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault(v => v.StartsWith("sha256:", StringComparison.Ordinal)) : null;

    private sealed record TagPage(IReadOnlyList<string> Tags, Uri? Next);

    private static async Task<RegistryResult<TagPage>> ReadTagPageAsync(RegistryEndpoint registry, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var body = await ReadJsonAsync(response, cancellationToken);
        if (body?.RootElement is not { ValueKind: JsonValueKind.Object } root)
        {
            return Malformed<TagPage>(registry, "tag list");
        }

        var tags = root.TryGetProperty("tags", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToList()
            : []; // An empty repository answers "tags": null.
        return RegistryResult<TagPage>.Ok(new TagPage(tags, NextPage(registry, response)));
    }

    /// <summary>
    /// <c>Link: &lt;/v2/name/tags/list?n=100&amp;last=x&gt;; rel="next"</c>, resolved against the request. A link to another
    /// host is not followed: the request would carry this registry's credentials there.
    /// </summary>
    private static Uri? NextPage(RegistryEndpoint registry, HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var link in links)
        {
            var match = NextLink().Match(link);
            if (match.Success
                && Uri.TryCreate(response.RequestMessage!.RequestUri!, match.Groups[1].Value, out var next)
                && next.Authority == registry.BaseUri.Authority && next.Scheme == registry.BaseUri.Scheme)
            {
                return next;
            }
        }

        return null;
    }

    private static async Task<RegistryResult<Manifest>> ReadManifestAsync(RegistryEndpoint registry, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await ReadBytesAsync(response, cancellationToken);
        if (bytes is null)
        {
            return Malformed<Manifest>(registry, "manifest");
        }

        var digest = DigestHeader(response) ?? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            var mediaType = String(root, "mediaType") ?? response.Content.Headers.ContentType?.MediaType;
            var config = root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? String(c, "digest") : null;
            var platforms = root.TryGetProperty("manifests", out var m) && m.ValueKind == JsonValueKind.Array
                ? m.EnumerateArray()
                    .Where(e => String(e, "digest") is not null)
                    .Select(e => e.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object
                        ? new PlatformManifest(String(e, "digest")!, String(e, "mediaType"), String(p, "os"), String(p, "architecture"))
                        : new PlatformManifest(String(e, "digest")!, String(e, "mediaType"), null, null))
                    .ToList()
                : [];
            return RegistryResult<Manifest>.Ok(new Manifest(digest, mediaType, config, platforms));
        }
        catch (JsonException)
        {
            return Malformed<Manifest>(registry, "manifest");
        }
    }

    private static async Task<RegistryResult<DateTimeOffset?>> ReadCreatedAsync(RegistryEndpoint registry, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var body = await ReadJsonAsync(response, cancellationToken);
        if (body?.RootElement is not { ValueKind: JsonValueKind.Object } root)
        {
            return Malformed<DateTimeOffset?>(registry, "image config");
        }

        return RegistryResult<DateTimeOffset?>.Ok(String(root, "created") is { } created ? ParseCreated(created) : null);
    }

    /// <summary>Go writes nanoseconds (<c>2024-05-01T10:00:00.123456789Z</c>); .NET parses at most seven fraction digits.</summary>
    internal static DateTimeOffset? ParseCreated(string value)
    {
        var trimmed = Fraction().Replace(value, match => match.Value[..Math.Min(match.Value.Length, 8)], 1);
        return DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created)
            ? created.ToUniversalTime()
            : null;
    }

    private static RegistryResult<T> Malformed<T>(RegistryEndpoint registry, string what) =>
        RegistryResult<T>.Failed(RegistryStatus.RegistryError, $"The registry '{registry.Name}' sent a {what} that could not be read.");

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static async Task<JsonDocument?> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await ReadBytesAsync(response, cancellationToken);
        try
        {
            return bytes is null ? null : JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<byte[]?> ReadBytesAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxDocumentBytes)
        {
            return null;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxDocumentBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    [GeneratedRegex("""<([^>]*)>\s*;\s*rel="?next"?""", RegexOptions.IgnoreCase)]
    private static partial Regex NextLink();

    [GeneratedRegex(@"\.\d+")]
    private static partial Regex Fraction();
}
