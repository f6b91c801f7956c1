using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.EntityFrameworkCore;
using Portal.Cluster;
using Portal.Requests;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Cluster;

/// <summary>The review asks the cluster (dry-run diff, quota and nodes) and the export gives back what was applied: through the API and the services, against the embedded Sandbox over HTTPS.</summary>
public sealed class ClusterAwareRequestTests(ClusterAwarePortal fixture) : IClassFixture<ClusterAwarePortal>
{
    private const string SecretValue = "export-secret-value-5d1e7";
    private const string OtherSecretValue = "export-secret-value-prod-8c2a";

    private PortalApp App => fixture.App;

    [Fact]
    public async Task TheReviewShowsTheLiveReplicaCountAfterAScaleMadeOutsideThePortal()
    {
        await App.RegisterServiceAsync("drift-api");
        var alice = await App.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "drift-api", "staging", new { imageTag = "v1", replicas = 2 })).SubmittedIdAsync();
        await App.WaitForStateAsync(id, RequestState.Succeeded);
        App.KubectlSucceeds("scale deployment drift-api -n payments-staging --replicas=3");

        var requests = App.Get<RequestService>();
        var draft = (await requests.DraftAsync(await App.PrincipalAsync("alice"), "payments", "drift-api", "staging")).Value!;
        Assert.Equal(2, draft.Form.Replicas);
        draft.Form.ImageTag = "v2";
        var reviewed = await requests.ReviewAsync(draft, draft.Form);

        Assert.True(reviewed.Succeeded, reviewed.Message);
        var diff = reviewed.Value!.Cluster!.Diff;
        Assert.Equal(LiveDiffStatus.Compared, diff.Status);
        Assert.Contains("replicas 3 → 2", diff.Lines);
        Assert.Contains("image registry.example.com/payments/drift-api:v1 → registry.example.com/payments/drift-api:v2", diff.Lines);
        Assert.DoesNotContain(reviewed.Value.Review.Changes, c => c.Text.Contains("replicas", StringComparison.Ordinal));
        Assert.Contains("--- live/Deployment/drift-api", diff.Diff);
        Assert.Contains("\n-  replicas: 3\n", diff.Diff);
        Assert.Contains("\n+  replicas: 2\n", diff.Diff);
        Assert.DoesNotContain("managedFields", diff.Diff);
        Assert.DoesNotContain("resourceVersion", diff.Diff);

        // The form as the revision has it changes nothing in the revision, but it does undo the scale: a change.
        var again = (await requests.DraftAsync(await App.PrincipalAsync("alice"), "payments", "drift-api", "staging")).Value!;
        var restore = await requests.ReviewAsync(again, again.Form);
        Assert.True(restore.Succeeded, restore.Message);
        Assert.True(restore.Value!.Review.ChangesNothing);
        Assert.Equal(["replicas 3 → 2"], restore.Value.Cluster!.Diff.Lines);
    }

    [Fact]
    public async Task ASecretChangeShowsItsKeyInTheLiveDiffAndNeverItsValues()
    {
        const string oldValue = "live-diff-old-secret-41f0";
        const string newValue = "live-diff-new-secret-7b3e";
        await App.RegisterServiceAsync("secret-diff");
        var alice = await App.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "secret-diff", "staging", new { imageTag = "v1", setSecrets = new Dictionary<string, string> { ["DB_PASSWORD"] = oldValue, ["API_KEY"] = "kept-value-2d9c" } })).SubmittedIdAsync();
        await App.WaitForStateAsync(id, RequestState.Succeeded);

        var requests = App.Get<RequestService>();
        var draft = (await requests.DraftAsync(await App.PrincipalAsync("alice"), "payments", "secret-diff", "staging")).Value!;
        draft.Form.Secrets.Single(s => s.Key == "DB_PASSWORD").NewValue = newValue;
        var reviewed = await requests.ReviewAsync(draft, draft.Form);

        Assert.True(reviewed.Succeeded, reviewed.Message);
        var diff = reviewed.Value!.Cluster!.Diff;
        Assert.Equal(["secret DB_PASSWORD changed"], diff.Lines);
        Assert.Contains("-  DB_PASSWORD: \"*** (before)\"", diff.Diff);
        Assert.Contains("+  DB_PASSWORD: \"*** (after)\"", diff.Diff);
        var everything = diff.Diff + string.Join("\n", diff.Lines);
        foreach (var value in new[] { oldValue, newValue, "kept-value-2d9c" })
        {
            Assert.DoesNotContain(value, everything);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(value)), everything);
        }
    }

    [Fact]
    public async Task AnUnreachableClusterIsSaidInTheReviewAndDoesNotBlockTheSubmit()
    {
        await App.RegisterServiceAsync("far-api");
        var requests = App.Get<RequestService>();
        var draft = (await requests.DraftAsync(await App.PrincipalAsync("alice"), "payments", "far-api", "remote")).Value!;
        draft.Form.ImageTag = "v1";

        var reviewed = await requests.ReviewAsync(draft, draft.Form);

        Assert.True(reviewed.Succeeded, reviewed.Message);
        Assert.Equal(LiveDiffStatus.Unreachable, reviewed.Value!.Cluster!.Diff.Status);
        Assert.StartsWith("The cluster 'far' could not be reached", reviewed.Value.Cluster.Diff.Message);
        Assert.Null(reviewed.Value.Cluster.Capacity);
        var alice = await App.ClientAsync("alice");
        Assert.Equal(HttpStatusCode.Created, (await alice.SubmitAsync("payments", "far-api", "remote", new { imageTag = "v1" })).StatusCode);
    }

    [Fact]
    public async Task ADryRunRefusalBlocksTheSubmitWithTheServersMessageAndStoresNothing()
    {
        await App.RegisterServiceAsync("refused-api");
        var alice = await App.ClientAsync("alice");

        var response = await alice.SubmitAsync("payments", "refused-api", "broken", new { imageTag = "v1" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.JsonAsync();
        var title = problem.GetProperty("title").GetString()!;
        Assert.StartsWith("The cluster refused this change in a dry run: Namespace payments.broken:", title);
        Assert.Contains("Namespace \"payments.broken\" is invalid", title);
        Assert.Equal(title, problem.GetProperty("errors").GetProperty("")[0].GetString());
        Assert.Equal(0, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync(r => r.Service.Name == "refused-api")));
    }

    [Fact]
    public async Task TheQuotaBlocksPodsThatDoNotFitCountingWhatTheServiceAlreadyUsesAndShowsTheNumbers()
    {
        await App.RegisterServiceAsync("quota-api", team: "search", user: "dave");
        var dave = await App.ClientAsync("dave");
        var resources = new { cpuRequest = "250m", cpuLimit = "500m", memoryRequest = "128Mi", memoryLimit = "256Mi" };
        var first = await (await dave.SubmitAsync("search", "quota-api", "staging", new { imageTag = "v1", replicas = 2, resources })).SubmittedIdAsync();
        await App.WaitForStateAsync(first, RequestState.Succeeded);
        var quota = Path.Combine(App.DataDirectory, "quota.yaml");
        await File.WriteAllTextAsync(quota, "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: team-quota\n  namespace: search-staging\nspec:\n  hard:\n    requests.cpu: \"1\"\n    pods: \"10\"\n");
        App.KubectlSucceeds($"apply -f {quota}");
        await Poll.UntilAsync(
            () => Task.FromResult(App.Kubectl("get quota team-quota -n search-staging -o jsonpath={.status.used.requests\\.cpu}") == "500m"),
            TimeSpan.FromSeconds(30),
            "The quota does not count the two running pods.");

        // 4 replicas + 1 surge = 5 pods × 250m = 1250m; free is 1 − 500m used + 500m the running pods give back = 1.
        var tooMany = await dave.SubmitAsync("search", "quota-api", "staging", new { imageTag = "v2", replicas = 4 });

        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        var problem = await tooMany.JsonAsync();
        Assert.Equal("The pods do not fit in the cluster.", problem.GetProperty("title").GetString());
        Assert.Equal(
            "ResourceQuota team-quota: requests.cpu needs 1250m for 5 pods, but only 1 is free (hard 1, used 500m, of which 500m by the running pods of quota-api).",
            problem.GetProperty("errors").GetProperty("Replicas")[0].GetString());
        Assert.Contains("5 pods (4 replicas + 1 surge) × 250m CPU, 128Mi memory requested", problem.GetProperty("errors").GetProperty("")[0].GetString());
        Assert.Equal(1, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync(r => r.Service.Name == "quota-api")));

        // 3 replicas + 1 surge = 1000m fits only because the running pods' 500m is counted as given back.
        var fits = await dave.SubmitAsync("search", "quota-api", "staging", new { imageTag = "v2", replicas = 3 });
        Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
    }

    [Fact]
    public async Task NodesThatCannotFitThePodsWarnWhereTheEnvironmentWarnsAndBlockWhereItBlocks()
    {
        await App.RegisterServiceAsync("big-api", team: "search", user: "dave");
        var requests = App.Get<RequestService>();
        var draft = (await requests.DraftAsync(await App.PrincipalAsync("dave"), "search", "big-api", "production")).Value!;
        (draft.Form.ImageTag, draft.Form.Replicas, draft.Form.CpuRequest, draft.Form.CpuLimit) = ("v1", 8, "2", "2");

        var warned = await requests.ReviewAsync(draft, draft.Form);

        Assert.True(warned.Succeeded, warned.Message);
        var capacity = warned.Value!.Cluster!.Capacity!;
        Assert.False(capacity.Fits);
        Assert.StartsWith("10 pods (8 replicas + 2 surge) × 2 CPU", capacity.Need);
        Assert.Contains(capacity.Problems, p => p.StartsWith("Nodes: 10 pods need 20 CPU, but the 3 schedulable nodes have ", StringComparison.Ordinal) && p.Contains("(12 allocatable", StringComparison.Ordinal));

        var dave = await App.ClientAsync("dave");
        var blocked = await dave.SubmitAsync("search", "big-api", "staging", new { imageTag = "v1", replicas = 8, resources = new { cpuRequest = "2", cpuLimit = "2" } });
        Assert.Equal(HttpStatusCode.BadRequest, blocked.StatusCode);
        var errors = (await blocked.JsonAsync()).GetProperty("errors").GetProperty("Replicas");
        Assert.Contains(errors.EnumerateArray(), e => e.GetString()!.StartsWith("Nodes: 10 pods need 20 CPU", StringComparison.Ordinal));
        Assert.Equal(0, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync(r => r.Service.Name == "big-api")));
    }

    [Theory]
    [InlineData("""{"imageTag":"v1","resources":{"cpuRequest":"500m","cpuLimit":"3"}}""", "CpuLimit", "CPU limit (3) is above the maximum of 2 in staging.")]
    [InlineData("""{"imageTag":"v1","resources":{"cpuRequest":"2500m","cpuLimit":"3"}}""", "CpuRequest", "CPU request (2500m) is above the maximum of 2 in staging.")]
    [InlineData("""{"imageTag":"v1","resources":{"memoryRequest":"256Mi","memoryLimit":"3Gi"}}""", "MemoryLimit", "Memory limit (3Gi) is above the maximum of 2Gi in staging.")]
    [InlineData("""{"imageTag":"v1","resources":{"memoryRequest":"4Gi","memoryLimit":"4Gi"}}""", "MemoryRequest", "Memory request (4Gi) is above the maximum of 2Gi in staging.")]
    public async Task CpuAndMemoryAboveTheEnvironmentsCapAreRefusedWithTheFieldNamed(string body, string field, string message)
    {
        var alice = await App.ClientAsync("alice");
        var before = await App.WithDbAsync(db => db.DeploymentRequests.CountAsync());

        var response = await alice.PostAsync("/api/services/payments/payments-api/environments/staging/requests", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(message, (await response.JsonAsync()).GetProperty("errors").GetProperty(field)[0].GetString());
        Assert.Equal(before, await App.WithDbAsync(db => db.DeploymentRequests.CountAsync()));
    }

    [Fact]
    public async Task TheExportedKustomizeTreeRendersToWhatWasAppliedInEachEnvironmentWithoutSecretValues()
    {
        await App.RegisterServiceAsync("export-api");
        var alice = await App.ClientAsync("alice");
        var staging = await (await alice.SubmitAsync("payments", "export-api", "staging", new
        {
            imageTag = "v1",
            replicas = 2,
            setEnv = new Dictionary<string, string> { ["LOG_LEVEL"] = "debug" },
            setSecrets = new Dictionary<string, string> { ["DB_PASSWORD"] = SecretValue },
        })).SubmittedIdAsync();
        var production = await (await alice.SubmitAsync("payments", "export-api", "production", new
        {
            imageTag = "v2",
            autoscaling = new { minReplicas = 2, maxReplicas = 4 },
            setEnv = new Dictionary<string, string> { ["LOG_LEVEL"] = "info", ["REGION"] = "eu-west" },
            setSecrets = new Dictionary<string, string> { ["DB_PASSWORD"] = OtherSecretValue, ["API_KEY"] = OtherSecretValue + "-key" },
        })).SubmittedIdAsync();
        await App.WaitForStateAsync(staging, RequestState.Succeeded);
        await App.WaitForStateAsync(production, RequestState.Succeeded);

        var response = await alice.GetAsync("/api/services/payments/export-api/export");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType!.MediaType);
        var folder = Path.Combine(App.DataDirectory, "export-" + Guid.NewGuid().ToString("n"));
        using (var zip = new ZipArchive(await response.Content.ReadAsStreamAsync()))
        {
            foreach (var entry in zip.Entries)
            {
                using var reader = new StreamReader(entry.Open());
                var text = await reader.ReadToEndAsync();
                Assert.DoesNotContain(SecretValue, text);
                Assert.DoesNotContain(OtherSecretValue, text);
                Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(SecretValue)), text);
            }

            zip.ExtractToDirectory(folder);
        }

        Assert.True(File.Exists(Path.Combine(folder, "base", "kustomization.yaml")));
        foreach (var (environment, id, keys) in new[] { ("staging", staging, new[] { "DB_PASSWORD" }), ("production", production, new[] { "API_KEY", "DB_PASSWORD" }) })
        {
            var rendered = Objects(App.Kubectl($"kustomize {Path.Combine(folder, "overlays", environment)}"));
            var applied = Objects(await App.WithDbAsync(db => db.RolloutRecords.Where(r => r.RequestId == id).Select(r => r.AppliedManifests).SingleAsync()));

            Assert.Equal(applied.Keys.Order(), rendered.Keys.Order());
            foreach (var (key, obj) in applied)
            {
                if (key.StartsWith("Secret/", StringComparison.Ordinal))
                {
                    var data = rendered[key]["data"]!.AsObject();
                    Assert.Equal(keys, data.Select(d => d.Key).Order());
                    Assert.All(data, d => Assert.Equal(Portal.Catalog.ServiceExport.Placeholder, Encoding.UTF8.GetString(Convert.FromBase64String(d.Value!.GetValue<string>()))));
                    // The stored manifests name the keys with "(redacted)" values (stringData; data in older rows).
                    Assert.Equal(keys, (obj["stringData"] ?? obj["data"])!.AsObject().Select(d => d.Key).Order());
                    obj.Remove("data");
                    obj.Remove("stringData");
                    rendered[key].Remove("data");
                }

                Assert.True(JsonNode.DeepEquals(obj, rendered[key]), $"{environment} {key}:\napplied  {obj.ToJsonString()}\nrendered {rendered[key].ToJsonString()}");
            }
        }

        var dave = await App.ClientAsync("dave");
        var forbidden = await dave.GetAsync("/api/services/payments/export-api/export");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task AServiceWithNothingAppliedHasNothingToExport()
    {
        await App.RegisterServiceAsync("never-applied");
        var alice = await App.ClientAsync("alice");

        var response = await alice.GetAsync("/api/services/payments/never-applied/export");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("nothing to export", (await response.JsonAsync()).GetProperty("detail").GetString());
    }

    private static Dictionary<string, JsonObject> Objects(string yaml) =>
        KubernetesYaml.LoadAllFromString(yaml)
            .Select(o => JsonNode.Parse(KubernetesJson.Serialize(o))!.AsObject())
            .ToDictionary(o => $"{o["kind"]}/{o["metadata"]!["name"]}");
}
