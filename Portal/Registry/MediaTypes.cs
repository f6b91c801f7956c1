namespace Portal.Registry;

/// <summary>The manifest media types the client asks for and understands.</summary>
public static class MediaTypes
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";

    /// <summary>
    /// All four in the <c>Accept</c> header: a registry answers a client that does not list a manifest's type with
    /// 404 or a converted (re-digested) manifest, and the digest would no longer be the one that gets pulled.
    /// </summary>
    public static readonly string[] Manifests = [OciIndex, OciManifest, DockerManifestList, DockerManifest];

    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;
}
