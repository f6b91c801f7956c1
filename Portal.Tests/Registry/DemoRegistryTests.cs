using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Portal.Cluster;
using Portal.Registry;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Registry;

/// <summary>
/// A portal in the default embedded mode (demo data, no Registries configured): the Sandbox's registry answers for the
/// demo services' host, so the tag picker and digest pinning work on the first run.
/// </summary>
public sealed class DemoRegistryTests : IAsyncLifetime
{
    private const string PaymentsApi = "registry.example.com/payments/api";

    // PortalApp turns the demo registry off for the tests that deploy made-up tags; this is the default setting.
    private readonly PortalApp app = new PortalApp().With("Sandbox:Registry", "true");

    public Task InitializeAsync() => app.InitializeAsync();

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task TheTagPickerListsTheDemoTagsOfADemoServiceNewestFirstWithTheServedDigests()
    {
        var catalog = app.Get<ImageCatalog>();

        var listing = await catalog.TagsAsync(PaymentsApi);

        Assert.Equal("sandbox", catalog.RegistryNameFor(PaymentsApi));
        Assert.True(listing.Succeeded, listing.Message);
        Assert.Equal(["v1.5.0-crash", "v1.4.2", "v1.4.0", "v1.3.0", "v1.2.1", "v1.2.0", "v1.1.0", "v1.0.0"], listing.Tags.Select(t => t.Name));
        Assert.All(listing.Tags, t => Assert.NotNull(t.Created));
        foreach (var tag in listing.Tags)
        {
            Assert.Equal(await ServedDigestAsync("payments/api", tag.Name), tag.Digest);
        }
    }

    [Fact]
    public async Task ASubmitIsPinnedToTheDigestTheEmbeddedRegistryServesAndItsPodsPullIt()
    {
        var alice = await app.ClientAsync("alice");
        var digest = await ServedDigestAsync("payments/api", "v1.4.2");

        var response = await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1.4.2", replicas = 1 });

        var id = await response.SubmittedIdAsync();
        var json = await response.JsonAsync();
        Assert.Equal(digest, json.GetProperty("imageDigest").GetString());
        Assert.Equal($"{PaymentsApi}:v1.4.2@{digest}", json.GetProperty("image").GetString());
        await app.WaitForStateAsync(id, RequestState.Succeeded);
        var stored = await app.WithDbAsync(db => db.DeploymentRequests.SingleAsync(r => r.Id == id));
        Assert.Equal(digest, stored.Spec.ImageDigest);
    }

    [Fact]
    public async Task ATagTheEmbeddedRegistryDoesNotHoldIsRefused()
    {
        var alice = await app.ClientAsync("alice");

        var response = await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v9.9.9", replicas = 1 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.JsonAsync()).GetProperty("errors");
        Assert.Equal($"Tag v9.9.9 does not exist in {PaymentsApi}.", errors.GetProperty("ImageTag")[0].GetString());
    }

    /// <summary>Asks the Sandbox's /v2/ API itself, trusting only its CA file, for the digest a tag names.</summary>
    private async Task<string> ServedDigestAsync(string repository, string tag)
    {
        var authority = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(app.DataDirectory, "sandbox", "ca.crt"));
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(certificate);
            },
        };
        using var http = new HttpClient(handler);
        using var head = new HttpRequestMessage(HttpMethod.Head, $"{app.Get<EmbeddedSandbox>().Host!.ServerUrl}/v2/{repository}/manifests/{tag}");
        var response = await http.SendAsync(head);
        response.EnsureSuccessStatusCode();
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }
}
