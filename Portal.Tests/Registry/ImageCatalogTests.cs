using Portal.Registry;

namespace Portal.Tests.Registry;

/// <summary>An open docker-registry with a few images pushed once for the class; each test uses its own catalog (own cache, own counters).</summary>
public sealed class OpenRegistryFixture : IAsyncLifetime
{
    public LocalRegistry Registry { get; private set; } = null!;

    public ImagePusher Pusher { get; private set; } = null!;

    /// <summary>Manifest digests of team/app by tag, as computed from the pushed bytes.</summary>
    public Dictionary<string, string> AppDigests { get; } = [];

    public async Task InitializeAsync()
    {
        Registry = await LocalRegistry.StartAsync();
        Pusher = new ImagePusher(Registry.Url);
        AppDigests["1.0.0"] = await Pusher.PushImageAsync("team/app", "1.0.0", "2024-01-01T10:00:00Z");
        // Go writes nanoseconds; Docker v2 schema 2 rather than OCI.
        AppDigests["1.1.0"] = await Pusher.PushImageAsync("team/app", "1.1.0", "2024-02-01T10:00:00.123456789Z", MediaTypes.DockerManifest);
        // An index whose first entry is arm64 (newer) and whose amd64 image is the one to date it by.
        AppDigests["1.2.0"] = await Pusher.PushIndexAsync("team/app", "1.2.0", MediaTypes.OciIndex,
            ("linux", "arm64", "2024-06-01T00:00:00Z"), ("linux", "amd64", "2024-03-01T00:00:00Z"));
        AppDigests["2.0.0-rc.1"] = await Pusher.PushIndexAsync("team/app", "2.0.0-rc.1", MediaTypes.DockerManifestList,
            ("linux", "amd64", "2024-04-01T00:00:00Z"));
        AppDigests["latest"] = await Pusher.PushIndexAsync("team/app", "latest", MediaTypes.OciIndex, ("linux", "amd64", "2024-04-01T00:00:00Z"));
    }

    public async Task DisposeAsync()
    {
        Pusher.Dispose();
        await Registry.DisposeAsync();
    }
}

public sealed class ImageCatalogTests(OpenRegistryFixture fixture) : IClassFixture<OpenRegistryFixture>
{
    private string App => $"{fixture.Registry.Host}/team/app";

    private RegistryFeature Feature(params (string, string?)[] extra) =>
        RegistryFeature.Create([.. RegistryFeature.OneRegistry(fixture.Registry.Url), .. extra]);

    [Fact]
    public async Task TagsComeNewestFirstWithDigestAndCreatedTime()
    {
        await using var feature = Feature();

        var listing = await feature.Catalog.TagsAsync(App);

        Assert.True(listing.Succeeded, listing.Message);
        Assert.Equal(["2.0.0-rc.1", "1.2.0", "1.1.0", "1.0.0"], listing.Tags.Select(t => t.Name));
        Assert.All(listing.Tags, t => Assert.Equal(fixture.AppDigests[t.Name], t.Digest));
        Assert.Equal(DateTimeOffset.Parse("2024-04-01T00:00:00Z"), listing.Tags[0].Created);
        Assert.Equal(DateTimeOffset.Parse("2024-02-01T10:00:00.1234567Z"), listing.Tags[2].Created);
        Assert.Equal(fixture.AppDigests["1.0.0"]["sha256:".Length..][..12], listing.Tags[3].ShortDigest);
    }

    [Fact]
    public async Task AnImageIndexIsDatedByItsLinuxAmd64Image()
    {
        await using var feature = Feature();

        var listing = await feature.Catalog.TagsAsync(App);

        Assert.Equal(DateTimeOffset.Parse("2024-03-01T00:00:00Z"), listing.Tags.Single(t => t.Name == "1.2.0").Created);
    }

    [Fact]
    public async Task LatestIsLeftOutUnlessAskedFor()
    {
        await using var feature = Feature();

        var usual = await feature.Catalog.TagsAsync(App);
        var withLatest = await feature.Catalog.TagsAsync(App, includeLatest: true);

        Assert.DoesNotContain(usual.Tags, t => t.Name == "latest");
        Assert.Contains(withLatest.Tags, t => t.Name == "latest" && t.Digest == fixture.AppDigests["latest"]);
    }

    [Fact]
    public async Task SearchingFiltersTheCachedListingWithoutAskingTheRegistryAgain()
    {
        await using var feature = Feature();
        var listing = await feature.Catalog.TagsAsync(App);
        var sent = feature.Requests.All.Count;

        var matches = listing.Matching("1.").Select(t => t.Name);
        var again = await feature.Catalog.TagsAsync(App);

        Assert.Equal(["1.2.0", "1.1.0", "1.0.0"], matches);
        Assert.Equal(sent, feature.Requests.All.Count);
        Assert.Equal(listing.Tags, again.Tags);
    }

    [Fact]
    public async Task ResolvingATagGivesTheDigestOfThePushedManifest()
    {
        await using var feature = Feature();

        var resolution = await feature.Catalog.ResolveAsync(App, "1.1.0");

        Assert.True(resolution.Succeeded, resolution.Message);
        Assert.Equal(fixture.AppDigests["1.1.0"], resolution.Digest);
        Assert.Equal($"{App}@{fixture.AppDigests["1.1.0"]}", resolution.PinnedReference);
        Assert.Equal(1, feature.Requests.Count("HEAD /v2/team/app/manifests/1.1.0"));
    }

    [Fact]
    public async Task ResolvingAMissingTagSaysTheTagDoesNotExist()
    {
        await using var feature = Feature();

        var resolution = await feature.Catalog.ResolveAsync(App, "9.9.9");

        Assert.Equal(RegistryStatus.TagNotFound, resolution.Status);
        Assert.False(resolution.Status.IsRegistryProblem());
        Assert.Equal($"The tag '9.9.9' does not exist in {App}.", resolution.Message);
        Assert.Null(resolution.Digest);
    }

    [Fact]
    public async Task AnInvalidTagIsRejectedWithoutAskingTheRegistry()
    {
        await using var feature = Feature();

        var resolution = await feature.Catalog.ResolveAsync(App, "-bad tag");

        Assert.Equal(RegistryStatus.InvalidReference, resolution.Status);
        Assert.Empty(feature.Requests.All);
    }

    [Fact]
    public async Task AnUnknownRepositoryIsReportedAsNotFound()
    {
        await using var feature = Feature();

        var listing = await feature.Catalog.TagsAsync($"{fixture.Registry.Host}/team/nothing-here");

        Assert.Equal(RegistryStatus.RepositoryNotFound, listing.Status);
        Assert.Equal($"The repository team/nothing-here does not exist in the registry 'local'.", listing.Message);
        Assert.Empty(listing.Tags);
    }

    [Fact]
    public async Task TwoListingsWithinTheCacheDurationAskTheRegistryOnceAndAgainAfterIt()
    {
        await using var feature = Feature(("ImageCatalog:CacheSeconds", "30"));

        await feature.Catalog.TagsAsync(App);
        feature.Time.Advance(TimeSpan.FromSeconds(29));
        await feature.Catalog.TagsAsync(App);
        var withinCache = feature.Requests.Count("/tags/list");
        var headsWithinCache = feature.Requests.Count("HEAD ");
        var blobsWithinCache = feature.Requests.Count("/blobs/");
        feature.Time.Advance(TimeSpan.FromSeconds(2));
        await feature.Catalog.TagsAsync(App);

        Assert.Equal(1, withinCache);
        Assert.Equal(2, feature.Requests.Count("/tags/list"));
        // After expiry only the tags' digests are asked again; created times are kept per (immutable) digest.
        Assert.Equal(2 * headsWithinCache, feature.Requests.Count("HEAD "));
        Assert.Equal(blobsWithinCache, feature.Requests.Count("/blobs/"));
    }

    [Fact]
    public async Task ConcurrentIdenticalListingsShareOneFetch()
    {
        await using var feature = Feature();

        var listings = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => feature.Catalog.TagsAsync(App)));

        Assert.All(listings, l => Assert.Equal(listings[0].Tags, l.Tags));
        Assert.Equal(1, feature.Requests.Count("/tags/list"));
        Assert.Equal(1, feature.Requests.Count("HEAD /v2/team/app/manifests/1.0.0"));
    }

    [Fact]
    public async Task AMovedTagResolvesToItsNewDigestOnceTheCacheExpires()
    {
        await using var feature = Feature(("ImageCatalog:CacheSeconds", "30"));
        var repository = $"{fixture.Registry.Host}/team/moving";
        var first = await fixture.Pusher.PushImageAsync("team/moving", "stable", "2024-01-01T00:00:00Z");
        Assert.Equal(first, (await feature.Catalog.ResolveAsync(repository, "stable")).Digest);

        var second = await fixture.Pusher.PushImageAsync("team/moving", "stable", "2024-02-01T00:00:00Z");
        var cached = await feature.Catalog.ResolveAsync(repository, "stable");
        var pinnedNow = await feature.Catalog.ResolveAsync(repository, "stable", maxAge: TimeSpan.Zero);
        feature.Time.Advance(TimeSpan.FromSeconds(31));
        var listing = await feature.Catalog.TagsAsync(repository);

        Assert.NotEqual(first, second);
        Assert.Equal(first, cached.Digest);
        Assert.Equal(second, pinnedNow.Digest);
        Assert.Equal(second, listing.Tags.Single().Digest);
        Assert.Equal(DateTimeOffset.Parse("2024-02-01T00:00:00Z"), listing.Tags.Single().Created);
    }

    [Fact]
    public async Task TagListsLongerThanOnePageAreFollowedThroughLinkHeaders()
    {
        var names = Enumerable.Range(1, 7).Select(i => $"0.{i}.0").ToList();
        foreach (var name in names)
        {
            await fixture.Pusher.PushImageAsync("team/many", name, $"2024-01-0{name[2]}T00:00:00Z");
        }

        await using var front = await RegistryFront.StartAsync(fixture.Registry.Url);
        await using var feature = RegistryFeature.Create([.. RegistryFeature.OneRegistry(front.Url), ("ImageCatalog:TagPageSize", "3")]);

        var listing = await feature.Catalog.TagsAsync($"{front.Url.Authority}/team/many");

        Assert.True(listing.Succeeded, listing.Message);
        Assert.Equal(names.AsEnumerable().Reverse(), listing.Tags.Select(t => t.Name));
        Assert.Equal(
            ["/v2/team/many/tags/list?n=3", "/v2/team/many/tags/list?n=3&last=0.3.0", "/v2/team/many/tags/list?n=3&last=0.6.0"],
            front.TagPageRequests);
        Assert.False(listing.Truncated);
    }

    [Fact]
    public async Task ListingStopsAtMaxTagsAndSaysSo()
    {
        for (var i = 1; i <= 5; i++)
        {
            await fixture.Pusher.PushImageAsync("team/capped", $"v{i}", "2024-01-01T00:00:00Z");
        }

        await using var front = await RegistryFront.StartAsync(fixture.Registry.Url);
        await using var feature = RegistryFeature.Create(
            [.. RegistryFeature.OneRegistry(front.Url), ("ImageCatalog:TagPageSize", "2"), ("ImageCatalog:MaxTags", "3")]);

        var listing = await feature.Catalog.TagsAsync($"{front.Url.Authority}/team/capped");

        Assert.True(listing.Truncated);
        Assert.Equal(3, listing.Tags.Count);
        Assert.Equal(2, front.TagPageRequests.Count);
    }

    [Fact]
    public async Task OnlyTheHighestTagsGetDetailsBeyondMaxTagDetails()
    {
        await using var feature = Feature(("ImageCatalog:MaxTagDetails", "2"));

        var listing = await feature.Catalog.TagsAsync(App, includeLatest: true);

        // "latest" and "2.0.0-rc.1" sort highest by name; the rest are offered by name, highest version first.
        Assert.Equal(["latest", "2.0.0-rc.1", "1.2.0", "1.1.0", "1.0.0"], listing.Tags.Select(t => t.Name));
        Assert.Equal([true, true, false, false, false], listing.Tags.Select(t => t.Digest is not null));
        Assert.Equal(2, feature.Requests.Count("HEAD "));
    }

    [Fact]
    public async Task TheDigestIsComputedFromTheManifestWhenTheRegistrySendsNoDigestHeader()
    {
        await using var front = await RegistryFront.StartAsync(fixture.Registry.Url, dropsDigestHeader: true);
        await using var feature = RegistryFeature.Create(RegistryFeature.OneRegistry(front.Url));

        var resolution = await feature.Catalog.ResolveAsync($"{front.Url.Authority}/team/app", "1.2.0");

        Assert.Equal(fixture.AppDigests["1.2.0"], resolution.Digest);
        Assert.Equal(["HEAD /v2/team/app/manifests/1.2.0", "GET /v2/team/app/manifests/1.2.0"], feature.Requests.All);
    }

    [Fact]
    public async Task DockerHubStyleRepositoriesUseTheRegistryConfiguredForDockerIo()
    {
        var digest = await fixture.Pusher.PushImageAsync("library/nginx", "1.27", "2024-05-01T00:00:00Z");
        await using var feature = RegistryFeature.Create(RegistryFeature.OneRegistry(fixture.Registry.Url, host: "docker.io", name: "hub-mirror"));

        var shortName = await feature.Catalog.TagsAsync("nginx");
        var fullName = await feature.Catalog.ResolveAsync("docker.io/library/nginx", "1.27");

        Assert.Equal("hub-mirror", feature.Catalog.RegistryNameFor("nginx"));
        Assert.Equal(digest, shortName.Tags.Single().Digest);
        Assert.Equal(digest, fullName.Digest);
    }

    [Fact]
    public async Task ARepositoryOnAHostWithNoConfiguredRegistryIsNotAsked()
    {
        await using var feature = Feature();

        var listing = await feature.Catalog.TagsAsync("ghcr.io/someone/tool");
        var resolution = await feature.Catalog.ResolveAsync("nginx", "1.27");

        Assert.Equal(RegistryStatus.NotConfigured, listing.Status);
        Assert.True(listing.Status.IsRegistryProblem());
        Assert.Equal("No registry is configured for ghcr.io, so its tags cannot be listed.", listing.Message);
        Assert.Equal(RegistryStatus.NotConfigured, resolution.Status);
        Assert.Empty(feature.Requests.All);
    }

    [Fact]
    public async Task AClosedPortIsReportedAsUnreachable()
    {
        var closed = new Uri($"http://127.0.0.1:{LocalRegistry.FreePort()}");
        await using var feature = RegistryFeature.Create(RegistryFeature.OneRegistry(closed, name: "gone"));

        var listing = await feature.Catalog.TagsAsync($"{closed.Authority}/team/app");
        var resolution = await feature.Catalog.ResolveAsync($"{closed.Authority}/team/app", "1.0.0");

        Assert.Equal(RegistryStatus.Unreachable, listing.Status);
        Assert.True(listing.Status.IsRegistryProblem());
        Assert.Equal("The registry 'gone' cannot be reached (connection refused or host down).", listing.Message);
        Assert.Equal(RegistryStatus.Unreachable, resolution.Status);
        Assert.Contains(feature.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("gone", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnreachableRegistryIsAskedAgainSoonerThanTheCacheDuration()
    {
        var closed = new Uri($"http://127.0.0.1:{LocalRegistry.FreePort()}");
        await using var feature = RegistryFeature.Create([.. RegistryFeature.OneRegistry(closed), ("ImageCatalog:CacheSeconds", "60")]);

        await feature.Catalog.TagsAsync($"{closed.Authority}/team/app");
        await feature.Catalog.TagsAsync($"{closed.Authority}/team/app");
        feature.Time.Advance(TimeSpan.FromSeconds(6));
        await feature.Catalog.TagsAsync($"{closed.Authority}/team/app");

        Assert.Equal(2, feature.Requests.Count("/tags/list"));
    }
}
