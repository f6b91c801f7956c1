using Portal.Cluster;
using Portal.Registry;

namespace Portal.Requests;

/// <summary>The digest a request pins its tag to, or null when the registry could not be asked; and why not, for the user.</summary>
public sealed record ImagePin(string? Digest, string? Warning);

/// <summary>A pinned request whose tag the registry now resolves to another image, or no longer knows.</summary>
public sealed record TagMove(string Repository, string Tag, string PinnedDigest, string? NowDigest)
{
    public string Message => NowDigest is null
        ? $"tag {Tag} no longer exists in {Repository}; this request deploys {ImagePinning.Short(PinnedDigest)}"
        : $"tag {Tag} now points to {ImagePinning.Short(NowDigest)}; this request deploys {ImagePinning.Short(PinnedDigest)}";
}

/// <summary>
/// Pins a request's image tag to the digest the registry resolves it to, so that the approved image is the deployed
/// image, and tells later whether the tag has moved since. Repositories without a configured registry (or a registry
/// that is down) keep their tag unpinned where the environment allows manual tags.
/// </summary>
public sealed class ImagePinning(ImageCatalog catalog)
{
    /// <param name="requestedDigest">A digest the caller asked for (API): it must be the one the tag resolves to.</param>
    /// <param name="maxAge">How old a cached resolution may be: <see cref="TimeSpan.Zero"/> on submit, so the registry is asked now.</param>
    public async Task<Outcome<ImagePin>> PinAsync(
        string repository, string tag, string? requestedDigest, DeploymentEnvironment environment, TimeSpan? maxAge, CancellationToken cancellationToken = default)
    {
        var resolution = await catalog.ResolveAsync(repository, tag, maxAge, cancellationToken);
        tag = resolution.Tag;
        if (resolution.Succeeded)
        {
            return requestedDigest is { Length: > 0 } && requestedDigest != resolution.Digest
                ? Outcome<ImagePin>.Invalid(nameof(RequestForm.ImageDigest), $"Tag {tag} points to {resolution.Digest} in {repository}, not to {requestedDigest}.")
                : Outcome<ImagePin>.Ok(new ImagePin(resolution.Digest, null));
        }

        if (resolution.Status == RegistryStatus.TagNotFound)
        {
            return Outcome<ImagePin>.Invalid(nameof(RequestForm.ImageTag), $"Tag {tag} does not exist in {repository}.");
        }

        if (!resolution.Status.IsRegistryProblem())
        {
            return Outcome<ImagePin>.Invalid(nameof(RequestForm.ImageTag), resolution.Message ?? $"Tag {tag} cannot be found in {repository}.");
        }

        if (!environment.AllowManualImageTag)
        {
            return Outcome<ImagePin>.Invalid(nameof(RequestForm.ImageTag),
                $"{environment.Name} accepts only tags the registry confirms, and tag {tag} cannot be checked: {resolution.Message}");
        }

        return Outcome<ImagePin>.Ok(new ImagePin(requestedDigest is { Length: > 0 } ? requestedDigest : null, $"Tag {tag} is not checked: {resolution.Message}"));
    }

    /// <summary>Whether the tag of a pinned spec resolves to another digest now (asking the registry now); null when it does not, or cannot be told.</summary>
    public async Task<TagMove?> MovedAsync(RequestSpec spec, CancellationToken cancellationToken = default)
    {
        if (spec.ImageDigest is not { } pinned || catalog.RegistryNameFor(spec.ImageRepository) is null)
        {
            return null;
        }

        var now = await catalog.ResolveAsync(spec.ImageRepository, spec.ImageTag, TimeSpan.Zero, cancellationToken);
        return now.Status switch
        {
            RegistryStatus.Ok when now.Digest != pinned => new TagMove(spec.ImageRepository, spec.ImageTag, pinned, now.Digest),
            RegistryStatus.TagNotFound => new TagMove(spec.ImageRepository, spec.ImageTag, pinned, null),
            _ => null,
        };
    }

    /// <summary><c>sha256:</c> and the first 12 hex digits, as people compare digests.</summary>
    public static string Short(string digest) =>
        digest.Split(':') is [var algorithm, var hex] && hex.Length > 12 ? $"{algorithm}:{hex[..12]}…" : digest;
}
