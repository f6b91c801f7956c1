using System.Net;
using Microsoft.EntityFrameworkCore;
using Portal.Cluster;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Cluster;

/// <summary>
/// The cluster's findings are reused while nothing in the cluster has changed, and asked for again as soon as anything
/// has: a scale made outside the portal, a new quota. Against the embedded Sandbox over HTTPS.
/// </summary>
public sealed class ClusterFindingsReuseTests(ClusterAwarePortal fixture) : IClassFixture<ClusterAwarePortal>
{
    private PortalApp App => fixture.App;

    [Fact]
    public async Task AReviewRepeatedWhileTheClusterIsUnchangedReusesTheDryRunAndAScaleMadeOutsideThePortalGivesAFreshOne()
    {
        await App.RegisterServiceAsync("reuse-api");
        var alice = await App.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "reuse-api", "staging", new { imageTag = "v1", replicas = 2 })).SubmittedIdAsync();
        await App.WaitForStateAsync(id, RequestState.Succeeded);
        var requests = App.Get<RequestService>();
        var cache = App.Get<FindingsCache>();
        var draft = (await requests.DraftAsync(await App.PrincipalAsync("alice"), "payments", "reuse-api", "staging")).Value!;
        draft.Form.ImageTag = "v2";

        // The Sandbox's controllers may still be writing (pod readiness, events): once they are done, a review asks nothing new.
        await Poll.UntilAsync(
            async () =>
            {
                await requests.ReviewAsync(draft, draft.Form);
                var before = cache.Computations;
                var again = await requests.ReviewAsync(draft, draft.Form);
                return again.Succeeded && cache.Computations == before;
            },
            TimeSpan.FromSeconds(60),
            "A review repeated on an unchanged cluster asked the cluster again.");
        var cached = await requests.ReviewAsync(draft, draft.Form);
        Assert.DoesNotContain(cached.Value!.Cluster!.Diff.Lines, l => l.StartsWith("replicas", StringComparison.Ordinal));

        App.KubectlSucceeds("scale deployment reuse-api -n payments-staging --replicas=3");
        var before = cache.Computations;
        var reviewed = await requests.ReviewAsync(draft, draft.Form);

        Assert.True(reviewed.Succeeded, reviewed.Message);
        Assert.True(cache.Computations > before, "The review after the scale reused the dry run made before it.");
        Assert.Contains("replicas 3 → 2", reviewed.Value!.Cluster!.Diff.Lines);
    }

    [Fact]
    public async Task AQuotaAddedAfterAReviewIsSeenByTheNextSubmit()
    {
        await App.RegisterServiceAsync("quota-reuse", team: "search", user: "dave");
        var dave = await App.ClientAsync("dave");
        var resources = new { cpuRequest = "250m", cpuLimit = "500m", memoryRequest = "128Mi", memoryLimit = "256Mi" };
        var first = await (await dave.SubmitAsync("search", "quota-reuse", "staging", new { imageTag = "v1", replicas = 1, resources })).SubmittedIdAsync();
        await App.WaitForStateAsync(first, RequestState.Succeeded);
        var requests = App.Get<RequestService>();
        var draft = (await requests.DraftAsync(await App.PrincipalAsync("dave"), "search", "quota-reuse", "staging")).Value!;
        (draft.Form.ImageTag, draft.Form.Replicas) = ("v2", 4);
        var fits = await requests.ReviewAsync(draft, draft.Form);
        Assert.True(fits.Succeeded, fits.Message);
        Assert.True(fits.Value!.Cluster!.Capacity!.Fits);

        var quota = Path.Combine(App.DataDirectory, "quota-reuse.yaml");
        await File.WriteAllTextAsync(quota, "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: small\n  namespace: search-staging\nspec:\n  hard:\n    pods: \"2\"\n");
        App.KubectlSucceeds($"apply -f {quota}");
        var blocked = await dave.SubmitAsync("search", "quota-reuse", "staging", new { imageTag = "v2", replicas = 4 });

        Assert.Equal(HttpStatusCode.BadRequest, blocked.StatusCode);
        var errors = (await blocked.JsonAsync()).GetProperty("errors").GetProperty("Replicas");
        Assert.Contains(errors.EnumerateArray(), e => e.GetString()!.StartsWith("ResourceQuota small: pods needs 5", StringComparison.Ordinal));
        Assert.Equal(1, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync(r => r.Service.Name == "quota-reuse")));
    }

    [Fact]
    public async Task ARepeatedSubmitRefusedByTheDryRunIsRefusedEachTimeWithTheServersMessage()
    {
        await App.RegisterServiceAsync("refused-again");
        var alice = await App.ClientAsync("alice");

        foreach (var attempt in new[] { 1, 2, 3 })
        {
            var response = await alice.SubmitAsync("payments", "refused-again", "broken", new { imageTag = "v1" });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var title = (await response.JsonAsync()).GetProperty("title").GetString()!;
            Assert.StartsWith("The cluster refused this change in a dry run: Namespace payments.broken:", title);
        }

        Assert.Equal(0, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync(r => r.Service.Name == "refused-again")));
    }
}
