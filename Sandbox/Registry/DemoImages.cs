using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Sandbox.Registry;

/// <summary>
/// The images the Sandbox's registry holds: the demo services' repositories, each with a few release tags and
/// <c>latest</c>. Everything is derived from the repository and tag names, so every digest is the same in every run
/// and on every machine, and each digest is the sha256 of the exact bytes served.
/// </summary>
public sealed class DemoImages
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";

    /// <summary>The repositories (without a host) and their release tags, oldest first; <c>latest</c> is added to each.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Repositories = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        // v1.5.0-crash crash-loops in the Sandbox's kubelet (tags containing "crash" do), for the demo's failed rollout.
        ["payments/api"] = ["v1.0.0", "v1.1.0", "v1.2.0", "v1.2.1", "v1.3.0", "v1.4.0", "v1.4.2", "v1.5.0-crash"],
        ["payments/ledger"] = ["v1.0.0", "v1.1.0", "v1.1.1", "v1.2.0", "v1.3.0"],
        ["payments/fraud-scoring"] = ["v1.0.0", "v1.0.1", "v1.1.0", "v1.2.0", "v1.3.0", "v1.3.1"],
        ["payments/settlement-worker"] = ["v0.8.0", "v0.9.0", "v1.0.0"],
        ["search/indexer"] = ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.3.1", "v1.4.0"],
        ["search/query-api"] = ["v1.0.0", "v1.1.0", "v1.2.0", "v1.2.1", "v1.3.0"],
    };

    private const string Latest = "latest";

    // The first release of every repository; later ones follow a week or so apart, so created times read like a history.
    private static readonly DateTimeOffset FirstRelease = new(2026, 6, 1, 9, 0, 0, TimeSpan.Zero);

    // An empty tar archive (two zero blocks): the one layer every demo image shares, as images share a base layer.
    private static readonly byte[] EmptyLayer = new byte[1024];

    private readonly Dictionary<string, Repository> repositories = new(StringComparer.Ordinal);

    public DemoImages()
    {
        var layerDigest = Digest(EmptyLayer);
        var index = 0;
        foreach (var (name, releases) in Repositories)
        {
            var repository = new Repository();
            repository.Blobs[layerDigest] = EmptyLayer;
            for (var i = 0; i < releases.Length; i++)
            {
                var created = FirstRelease.AddDays(i * 9 + index).AddHours(i % 5);
                var image = Build(repository, name, releases[i], created, layerDigest);
                repository.Tags[releases[i]] = image;
            }

            // latest points at the newest release that is not a deliberately broken one.
            repository.Tags[Latest] = repository.Tags[releases.Last(r => !r.Contains("crash", StringComparison.Ordinal))];
            repositories[name] = repository;
            index++;
        }
    }

    /// <summary>The tags of a repository in lexical order, or null when there is no such repository.</summary>
    public IReadOnlyList<string>? Tags(string repository) =>
        repositories.TryGetValue(repository, out var r) ? r.Tags.Keys.Order(StringComparer.Ordinal).ToList() : null;

    public bool HasRepository(string repository) => repositories.ContainsKey(repository);

    /// <summary>The manifest a tag or a <c>sha256:</c> digest names, or null.</summary>
    public Blob? Manifest(string repository, string reference)
    {
        if (!repositories.TryGetValue(repository, out var r))
        {
            return null;
        }

        if (reference.StartsWith("sha256:", StringComparison.Ordinal))
        {
            return r.Manifests.TryGetValue(reference, out var byDigest) ? byDigest : null;
        }

        return r.Tags.TryGetValue(reference, out var byTag) ? byTag : null;
    }

    /// <summary>A blob (an image config or the layer) by digest, or null.</summary>
    public Blob? BlobFor(string repository, string digest) =>
        repositories.TryGetValue(repository, out var r) && r.Blobs.TryGetValue(digest, out var bytes) ? new Blob(digest, "application/octet-stream", bytes) : null;

    private static Blob Build(Repository repository, string name, string tag, DateTimeOffset created, string layerDigest)
    {
        var config = Serialize(new
        {
            created = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            architecture = "amd64",
            os = "linux",
            config = new
            {
                Labels = new Dictionary<string, string>
                {
                    ["org.opencontainers.image.title"] = name,
                    ["org.opencontainers.image.version"] = tag,
                },
            },
            rootfs = new { type = "layers", diff_ids = new[] { layerDigest } },
        });
        var configDigest = Digest(config);
        repository.Blobs[configDigest] = config;
        var manifest = Serialize(new
        {
            schemaVersion = 2,
            mediaType = OciManifest,
            config = new { mediaType = OciConfig, digest = configDigest, size = config.Length },
            layers = new[] { new { mediaType = OciLayer, digest = layerDigest, size = EmptyLayer.Length } },
        });
        var blob = new Blob(Digest(manifest), OciManifest, manifest);
        repository.Manifests[blob.Digest] = blob;
        return blob;
    }

    private static byte[] Serialize<T>(T value) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value));

    public static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    private sealed class Repository
    {
        public Dictionary<string, Blob> Tags { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Blob> Manifests { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, byte[]> Blobs { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>Content the registry serves, with the digest of exactly these bytes.</summary>
public sealed record Blob(string Digest, string MediaType, byte[] Content);
