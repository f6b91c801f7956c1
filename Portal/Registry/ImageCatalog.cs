using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Portal.Registry;

/// <summary>
/// What the tag picker and request validation ask: the tags of a service's image repository, newest first with digest
/// and created time, and the digest a tag points at. Answers are reused for <see cref="ImageCatalogOptions.CacheSeconds"/>
/// (failures for at most 5 s) and identical concurrent questions share one fetch. Expected failures (no such
/// repository or tag, registry down, credentials refused) come back as a status with a message for the user.
/// </summary>
public sealed partial class ImageCatalog
{
    private const string Latest = "latest";

    // Short, so that a registry that was down a moment ago is asked again soon, yet not once per keystroke.
    private static readonly TimeSpan FailureLifetime = TimeSpan.FromSeconds(5);

    // A digest names immutable content, so its created time never changes; the limit only bounds memory.
    private static readonly TimeSpan CreatedLifetime = TimeSpan.FromHours(24);

    // Concurrent: the embedded Sandbox's registry joins once the Sandbox serves (see AddRegistry).
    private readonly ConcurrentDictionary<string, RegistryEndpoint> registriesByHost;
    private readonly RegistryTrust trust;
    private readonly ImageCatalogOptions options;
    private readonly IHttpClientFactory httpClients;
    private readonly ITypedHttpClientFactory<RegistryClient> registryClients;
    private readonly TimeProvider time;
    private readonly ILogger<ImageCatalog> logger;
    private readonly LookupCache<(string Registry, string Path), TagListing> listings;
    private readonly LookupCache<(string Registry, string Path, string Tag), TagResolution> resolutions;
    private readonly LookupCache<(string Registry, string Path, string Digest), RegistryResult<DateTimeOffset?>> createdTimes;

    public ImageCatalog(
        IOptions<RegistryOptions> registries,
        IOptions<ImageCatalogOptions> options,
        RegistryTrust trust,
        IHttpClientFactory httpClients,
        ITypedHttpClientFactory<RegistryClient> registryClients,
        TimeProvider time,
        ILogger<ImageCatalog> logger)
    {
        registriesByHost = new(registries.Value.Registries.Select(r => KeyValuePair.Create(r.ImageHost, r)), StringComparer.OrdinalIgnoreCase);
        this.trust = trust;
        this.options = options.Value;
        this.httpClients = httpClients;
        this.registryClients = registryClients;
        this.time = time;
        this.logger = logger;
        var cacheDuration = this.options.CacheDuration;
        var failureDuration = cacheDuration < FailureLifetime ? cacheDuration : FailureLifetime;
        listings = new(time, l => l.Succeeded ? cacheDuration : failureDuration, capacity: 1_000);
        resolutions = new(time, r => r.Succeeded ? cacheDuration : failureDuration, capacity: 20_000);
        createdTimes = new(time, c => c.Succeeded ? CreatedLifetime : TimeSpan.Zero, capacity: 20_000);
    }

    /// <summary>
    /// Adds a registry that only exists once something has started (the embedded Sandbox's), as if it were configured
    /// under <c>Registries</c>: its host maps to it, and its CA file is trusted for its URL. A configured registry for
    /// the same host wins.
    /// </summary>
    public bool AddRegistry(RegistryEndpoint registry)
    {
        // Trusted first, so that no lookup reaches the registry before its CA is known.
        if (registriesByHost.ContainsKey(registry.ImageHost))
        {
            return false;
        }

        trust.Add(registry);
        return registriesByHost.TryAdd(registry.ImageHost, registry);
    }

    /// <summary>The name of the configured registry that serves this repository, or null when none does.</summary>
    public string? RegistryNameFor(string repository) =>
        RepositoryReference.Parse(repository) is { } reference && registriesByHost.TryGetValue(reference.Host, out var registry) ? registry.Name : null;

    /// <summary>
    /// The repository's tags, newest first (by the image's created time; tags without one follow, by name, highest
    /// version first). <c>latest</c> is left out unless <paramref name="includeLatest"/>: it is a moving pointer, not a
    /// version to deploy. Filter the result per keystroke with <see cref="TagListing.Matching"/>.
    /// </summary>
    public async Task<TagListing> TagsAsync(string repository, bool includeLatest = false, CancellationToken cancellationToken = default)
    {
        var display = repository?.Trim() ?? "";
        if (Locate(display, out var failure) is not { } located)
        {
            return TagListing.Failed(display, failure.Status, failure.Message, time.GetUtcNow());
        }

        var (registry, reference) = located;
        var listing = await listings.GetAsync(
            (registry.Name, reference.Path), () => FetchListingAsync(registry, reference, display), cancellationToken: cancellationToken);
        return listing with
        {
            Repository = display,
            Tags = includeLatest ? listing.Tags : listing.Tags.Where(t => t.Name != Latest).ToList(),
        };
    }

    /// <summary>
    /// The digest <paramref name="tag"/> points at. An answer up to <paramref name="maxAge"/> old is reused (default:
    /// the cache duration); pass <see cref="TimeSpan.Zero"/> to ask the registry now, e.g. when pinning on submit.
    /// </summary>
    public async Task<TagResolution> ResolveAsync(
        string repository, string tag, TimeSpan? maxAge = null, CancellationToken cancellationToken = default)
    {
        var display = repository?.Trim() ?? "";
        tag = tag?.Trim() ?? "";
        if (Locate(display, out var failure) is not { } located)
        {
            return new TagResolution(display, tag, failure.Status, failure.Message, null);
        }

        var (registry, reference) = located;
        if (!TagGrammar().IsMatch(tag))
        {
            return new TagResolution(display, tag, RegistryStatus.InvalidReference,
                $"'{tag}' is not a valid tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'.", null);
        }

        var resolution = await resolutions.GetAsync(
            (registry.Name, reference.Path, tag), () => FetchResolutionAsync(NewClient(), registry, reference, tag), maxAge, cancellationToken);
        return resolution with { Repository = display };
    }

    private (RegistryEndpoint Registry, RepositoryReference Reference)? Locate(string repository, out (RegistryStatus Status, string Message) failure)
    {
        failure = default;
        if (RepositoryReference.Parse(repository) is not { } reference)
        {
            failure = (RegistryStatus.InvalidReference, $"'{repository}' is not an image repository.");
            return null;
        }

        if (!registriesByHost.TryGetValue(reference.Host, out var registry))
        {
            // Only configured hosts are asked: image repositories are typed in by users, and the portal must not
            // become a way to make requests to arbitrary hosts from inside the network.
            failure = (RegistryStatus.NotConfigured, $"No registry is configured for {reference.Host}, so its tags cannot be listed.");
            return null;
        }

        return (registry, reference);
    }

    /// <summary>
    /// Lists every tag (following pages up to MaxTags), then looks up digest and created time for the
    /// MaxTagDetails highest-named tags with at most MaxConcurrentRequests requests in flight. Created times are kept
    /// per digest, so a refresh costs one HEAD per tag plus the lookups for tags that moved.
    /// </summary>
    private async Task<TagListing> FetchListingAsync(RegistryEndpoint registry, RepositoryReference reference, string display)
    {
        var client = NewClient();
        var names = await client.ListTagsAsync(registry, reference.Path, options.TagPageSize, options.MaxTags);
        if (!names.Succeeded)
        {
            LogFailure(registry, reference, names.Status);
            return TagListing.Failed(display, names.Status, names.Message!, time.GetUtcNow());
        }

        var all = names.Value!.Tags.Distinct(StringComparer.Ordinal).ToList();
        var detailed = all.OrderByDescending(t => t, TagNameOrder.Instance).Take(options.MaxTagDetails).ToHashSet(StringComparer.Ordinal);
        var details = new ConcurrentDictionary<string, ImageTag?>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(detailed, new ParallelOptions { MaxDegreeOfParallelism = options.MaxConcurrentRequests }, async (tag, _) =>
        {
            var resolution = await resolutions.GetAsync(
                (registry.Name, reference.Path, tag), () => FetchResolutionAsync(client, registry, reference, tag));
            details[tag] = resolution switch
            {
                // Deleted between the list and the lookup: it cannot be deployed, so it is not offered.
                { Status: RegistryStatus.TagNotFound } => null,
                { Succeeded: false } => new ImageTag(tag, null, null),
                { Digest: var digest } => new ImageTag(tag, digest, (await createdTimes.GetAsync(
                    (registry.Name, reference.Path, digest!), () => client.GetCreatedAsync(registry, reference.Path, digest!))).Value),
            };
        });

        var tags = all
            .Select(name => detailed.Contains(name) ? details[name] : new ImageTag(name, null, null))
            .OfType<ImageTag>()
            .OrderByDescending(t => t.Created.HasValue)
            .ThenByDescending(t => t.Created)
            .ThenByDescending(t => t.Name, TagNameOrder.Instance)
            .ToList();
        return new TagListing(display, RegistryStatus.Ok, null, tags, names.Value.Truncated, time.GetUtcNow());
    }

    private async Task<TagResolution> FetchResolutionAsync(RegistryClient client, RegistryEndpoint registry, RepositoryReference reference, string tag)
    {
        var head = await client.HeadManifestAsync(registry, reference.Path, tag);
        if (head.Succeeded)
        {
            return new TagResolution(reference.ToString(), tag, RegistryStatus.Ok, null, head.Value!.Digest);
        }

        LogFailure(registry, reference, head.Status);
        var message = head.Status == RegistryStatus.TagNotFound ? $"The tag '{tag}' does not exist in {reference}." : head.Message;
        return new TagResolution(reference.ToString(), tag, head.Status, message, null);
    }

    private void LogFailure(RegistryEndpoint registry, RepositoryReference reference, RegistryStatus status)
    {
        // Unreachable is logged by the client with its reason; refused credentials and odd answers need an operator.
        if (status is RegistryStatus.Unauthorized or RegistryStatus.RegistryError)
        {
            logger.LogWarning("Registry {Registry} answered {Status} for {Repository}", registry.Name, status, reference.Path);
        }
    }

    // One client per fetch: IHttpClientFactory rotates handlers (and so DNS) for new clients only.
    private RegistryClient NewClient() => registryClients.CreateClient(httpClients.CreateClient(nameof(RegistryClient)));

    [GeneratedRegex(@"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z")]
    private static partial Regex TagGrammar();
}
