using System.Net;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Rollouts;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;
using Portal.Tests.Registry;

namespace Portal.Tests.Requests;

/// <summary>Requests for a repository in a real docker-registry: pinned on submit, applied by digest, checked by the Sandbox's kubelet.</summary>
public sealed class PinnedImageTests(RegistryPortal fixture) : IClassFixture<RegistryPortal>
{
    private PortalApp App => fixture.App;

    [Fact]
    public async Task SubmittingThroughTheApiStoresTheTagAndTheDigestItResolvesTo()
    {
        await fixture.RegisterServiceAsync("api-pinned");
        var alice = await App.ClientAsync("alice");

        var response = await alice.SubmitAsync("payments", "api-pinned", "production", new { imageTag = "v2", replicas = 1 });

        var id = await response.SubmittedIdAsync();
        var json = await response.JsonAsync();
        Assert.Equal("v2", json.GetProperty("imageTag").GetString());
        Assert.Equal(fixture.Digests["v2"], json.GetProperty("imageDigest").GetString());
        Assert.Equal($"{fixture.Repository}:v2@{fixture.Digests["v2"]}", json.GetProperty("image").GetString());
        var stored = await App.WithDbAsync(db => db.DeploymentRequests.SingleAsync(r => r.Id == id));
        Assert.Equal(("v2", fixture.Digests["v2"]), (stored.ImageTag, stored.Spec.ImageDigest));
    }

    [Fact]
    public async Task SubmittingThroughTheFormServiceStoresTheDigestToo()
    {
        await fixture.RegisterServiceAsync("form-pinned");

        var request = await App.SubmitRequestAsync("alice", "form-pinned", "production", form => form.ImageTag = "v10");

        Assert.Equal(fixture.Digests["v10"], request.Spec.ImageDigest);
        Assert.Equal(fixture.Digests["v10"], (await App.WithDbAsync(db => db.DeploymentRequests.SingleAsync(r => r.Id == request.Id))).Spec.ImageDigest);
    }

    [Fact]
    public async Task ANonexistentTagIsRefusedThroughTheApiAsAProblemOnImageTag()
    {
        await fixture.RegisterServiceAsync("api-missing-tag");
        var alice = await App.ClientAsync("alice");
        var before = await App.WithDbAsync(db => db.DeploymentRequests.CountAsync());

        var response = await alice.SubmitAsync("payments", "api-missing-tag", "staging", new { imageTag = "v9", replicas = 1 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.JsonAsync()).GetProperty("errors");
        Assert.Equal($"Tag v9 does not exist in {fixture.Repository}.", errors.GetProperty("ImageTag")[0].GetString());
        Assert.Equal(before, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync()));
    }

    [Fact]
    public async Task ADigestThatIsNotTheTagsIsRefusedThroughTheApi()
    {
        await fixture.RegisterServiceAsync("api-wrong-digest");
        var alice = await App.ClientAsync("alice");

        var response = await alice.SubmitAsync("payments", "api-wrong-digest", "staging", new { imageTag = "v2", imageDigest = fixture.Digests["v1"], replicas = 1 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"Tag v2 points to {fixture.Digests["v2"]}", (await response.JsonAsync()).GetProperty("errors").GetProperty("ImageDigest")[0].GetString());
    }

    [Fact]
    public async Task TheAppliedDeploymentRunsTheTagPinnedToItsDigest()
    {
        await fixture.RegisterServiceAsync("applied-pinned");
        var alice = await App.ClientAsync("alice");

        var id = await (await alice.SubmitAsync("payments", "applied-pinned", "staging", new { imageTag = "v1", replicas = 1 })).SubmittedIdAsync();

        await App.WaitForStateAsync(id, RequestState.Succeeded);
        var record = await App.WithDbAsync(db => db.RolloutRecords.SingleAsync(r => r.RequestId == id));
        Assert.Contains($"image: {fixture.Repository}:v1@{fixture.Digests["v1"]}", record.AppliedManifests);
    }

    [Fact]
    public async Task ATagDeletedFromTheRegistryAfterApprovalFailsThePullInTheSandbox()
    {
        await fixture.RegisterServiceAsync("gone-api", "payments/gone");
        var digest = await fixture.Pusher.PushImageAsync("payments/gone", "v1", "2024-05-01T00:00:00Z");
        var alice = await App.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "gone-api", "production", new { imageTag = "v1", replicas = 1 })).SubmittedIdAsync();
        using (var http = new HttpClient())
        {
            (await http.DeleteAsync(new Uri(fixture.Registry.Url, $"/v2/payments/gone/manifests/{digest}"))).EnsureSuccessStatusCode();
        }

        var bob = await App.ClientAsync("bob");
        (await bob.DecideAsync(id, "approve", "ship it")).EnsureSuccessStatusCode();

        await App.WaitForStateAsync(id, RequestState.Failed, TimeSpan.FromSeconds(60));
        var snapshot = (await App.WithDbAsync(db => db.RolloutRecords.SingleAsync(r => r.RequestId == id))).LastSnapshot!;
        Assert.Contains(snapshot.Pods, p => p.Reason is "ErrImagePull" or "ImagePullBackOff");
        Assert.StartsWith("image not found: ", snapshot.Blocking);
    }

}
