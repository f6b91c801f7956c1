namespace Portal.Registry;

/// <summary>One tag of a repository. Digest and created time are null for tags beyond <see cref="ImageCatalogOptions.MaxTagDetails"/> or when their lookup failed.</summary>
public sealed record ImageTag(string Name, string? Digest, DateTimeOffset? Created)
{
    /// <summary>The first 12 hex digits of the digest, as <c>docker images</c> shows them.</summary>
    public string? ShortDigest => Digest?.Split(':') is [_, var hex] ? hex[..Math.Min(12, hex.Length)] : Digest;
}

/// <summary>
/// The tags of a repository, newest first, or why there are none: check <see cref="Status"/> and show
/// <see cref="Message"/>. <see cref="RegistryStatusExtensions.IsRegistryProblem"/> tells a warning from a wrong repository.
/// </summary>
public sealed record TagListing(
    string Repository,
    RegistryStatus Status,
    string? Message,
    IReadOnlyList<ImageTag> Tags,
    bool Truncated,
    DateTimeOffset FetchedAt)
{
    public bool Succeeded => Status == RegistryStatus.Ok;

    /// <summary>Tags whose name contains the search text, in listing order: the picker filters the cached listing per keystroke.</summary>
    public IEnumerable<ImageTag> Matching(string? search) =>
        string.IsNullOrWhiteSpace(search) ? Tags : Tags.Where(t => t.Name.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase));

    internal static TagListing Failed(string repository, RegistryStatus status, string message, DateTimeOffset now) =>
        new(repository, status, message, [], false, now);
}

/// <summary>A tag resolved to the digest it points at now, or why it could not be.</summary>
public sealed record TagResolution(string Repository, string Tag, RegistryStatus Status, string? Message, string? Digest)
{
    public bool Succeeded => Status == RegistryStatus.Ok;

    /// <summary><c>repository@sha256:...</c>: the reference that always pulls this exact image.</summary>
    public string? PinnedReference => Digest is null ? null : $"{Repository}@{Digest}";
}
