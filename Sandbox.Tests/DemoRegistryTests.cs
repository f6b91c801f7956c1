using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Sandbox.Registry;

namespace Sandbox.Tests;

/// <summary>The Sandbox's OCI distribution endpoint, asked over HTTPS without a token, as a registry client would.</summary>
public sealed class DemoRegistryTests : IAsyncLifetime
{
    private TestCluster cluster = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        cluster = await TestCluster.StartAsync();
        http = SecurityTests.TrustingClient(cluster);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await cluster.DisposeAsync();
    }

    private string Url(string path) => cluster.Host.ServerUrl + path;

    [Fact]
    public async Task TheApiRootAnswersWithoutAToken()
    {
        var root = await http.GetAsync(Url("/v2/"));

        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal("registry/2.0", root.Headers.GetValues("Docker-Distribution-API-Version").Single());
    }

    [Fact]
    public async Task TagsArePagedWithNAndLastFollowingTheLinkHeader()
    {
        var all = await http.GetFromJsonAsync<TagList>(Url("/v2/payments/api/tags/list"));
        Assert.Equal(DemoImages.Repositories["payments/api"].Append("latest").Order(StringComparer.Ordinal), all!.Tags);
        Assert.Contains(all.Tags, t => t.Contains("crash", StringComparison.Ordinal));

        var seen = new List<string>();
        var next = "/v2/payments/api/tags/list?n=3";
        var pages = 0;
        while (next is not null)
        {
            var response = await http.GetAsync(Url(next));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.Content.ReadFromJsonAsync<TagList>();
            Assert.Equal("payments/api", page!.Name);
            Assert.True(page.Tags.Count <= 3);
            seen.AddRange(page.Tags);
            pages++;
            next = response.Headers.TryGetValues("Link", out var link) ? link.Single().Split('>')[0].TrimStart('<') : null;
        }

        Assert.Equal(all.Tags, seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task AManifestByTagAndByDigestIsTheSameContentWithTheDigestOfItsBytes()
    {
        using var byTagRequest = new HttpRequestMessage(HttpMethod.Get, Url("/v2/search/indexer/manifests/v1.3.0"));
        byTagRequest.Headers.Accept.ParseAdd(DemoImages.OciManifest);
        var byTag = await http.SendAsync(byTagRequest);
        Assert.Equal(HttpStatusCode.OK, byTag.StatusCode);
        Assert.Equal(DemoImages.OciManifest, byTag.Content.Headers.ContentType!.MediaType);
        var body = await byTag.Content.ReadAsByteArrayAsync();
        var digest = byTag.Headers.GetValues("Docker-Content-Digest").Single();
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(body)), digest);

        var byDigest = await http.GetAsync(Url($"/v2/search/indexer/manifests/{digest}"));
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        Assert.Equal(body, await byDigest.Content.ReadAsByteArrayAsync());
        Assert.Equal(digest, byDigest.Headers.GetValues("Docker-Content-Digest").Single());

        // Another tag is another image; the same tag in a new Sandbox is the same digest.
        var other = await http.GetAsync(Url("/v2/search/indexer/manifests/v1.2.0"));
        Assert.NotEqual(digest, other.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(digest, new DemoImages().Manifest("search/indexer", "v1.3.0")!.Digest);
    }

    [Fact]
    public async Task HeadOfAManifestGivesItsDigestAndLengthWithoutABody()
    {
        var get = await http.GetAsync(Url("/v2/payments/ledger/manifests/latest"));
        using var headRequest = new HttpRequestMessage(HttpMethod.Head, Url("/v2/payments/ledger/manifests/latest"));
        var head = await http.SendAsync(headRequest);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Headers.GetValues("Docker-Content-Digest").Single(), head.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal((await get.Content.ReadAsByteArrayAsync()).Length, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        // latest is the newest release.
        var newest = await http.GetAsync(Url("/v2/payments/ledger/manifests/v1.3.0"));
        Assert.Equal(newest.Headers.GetValues("Docker-Content-Digest").Single(), head.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Fact]
    public async Task TheConfigBlobCarriesTheCreatedTimeAndMatchesItsDigest()
    {
        using var manifest = JsonDocument.Parse(await http.GetStringAsync(Url("/v2/payments/api/manifests/v1.4.2")));
        var config = manifest.RootElement.GetProperty("config");
        Assert.Equal(DemoImages.OciConfig, config.GetProperty("mediaType").GetString());
        var digest = config.GetProperty("digest").GetString()!;

        var blob = await http.GetAsync(Url($"/v2/payments/api/blobs/{digest}"));
        Assert.Equal(HttpStatusCode.OK, blob.StatusCode);
        var bytes = await blob.Content.ReadAsByteArrayAsync();
        Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal(config.GetProperty("size").GetInt32(), bytes.Length);
        using var document = JsonDocument.Parse(bytes);
        var created = DateTimeOffset.Parse(document.RootElement.GetProperty("created").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        using var older = JsonDocument.Parse(await http.GetStringAsync(Url("/v2/payments/api/manifests/v1.0.0")));
        var olderConfig = await http.GetStringAsync(Url($"/v2/payments/api/blobs/{older.RootElement.GetProperty("config").GetProperty("digest").GetString()}"));
        Assert.True(created > DateTimeOffset.Parse(JsonDocument.Parse(olderConfig).RootElement.GetProperty("created").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("/v2/payments/nothing/tags/list", "NAME_UNKNOWN")]
    [InlineData("/v2/payments/nothing/manifests/v1.0.0", "NAME_UNKNOWN")]
    [InlineData("/v2/payments/api/manifests/v9.9.9", "MANIFEST_UNKNOWN")]
    [InlineData("/v2/payments/api/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000", "BLOB_UNKNOWN")]
    public async Task UnknownNamesAnswer404WithAnOciErrorBody(string path, string code)
    {
        var response = await http.GetAsync(Url(path));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, body.RootElement.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    private sealed record TagList(string Name, List<string> Tags);
}
