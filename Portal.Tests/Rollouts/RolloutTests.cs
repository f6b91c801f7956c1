using System.Globalization;
using System.Net.Http.Json;
using k8s;
using k8s.Models;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Rollouts;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Rollouts;

/// <summary>Requests applied to the embedded Sandbox (over HTTPS, through KubernetesClient) and followed to their end.</summary>
public class RolloutTests : IAsyncLifetime
{
    private PortalApp app = null!;

    /// <summary>The database engine the tests run on (Portal.Tests/Data/OnPostgresTests runs them on PostgreSQL too).</summary>
    protected virtual PortalDatabase Database => PortalDatabase.Sqlite;

    public async Task InitializeAsync() => app = await PortalApp.StartAsync(
        Database,
        null,
        ("Sandbox:Speed", "20"),
        ("Rollouts:PollInterval", "00:00:00.200"),
        ("Environments:0:Name", "staging"),
        ("Environments:0:ProgressDeadlineSeconds", "60"),
        ("Environments:1:Name", "production"),
        ("Environments:1:RequiresApproval", "true"),
        ("Environments:1:RollbackSkipsApproval", "true"),
        ("Environments:2:Name", "canary"),
        ("Environments:2:ProgressDeadlineSeconds", "60"),
        ("Environments:2:AutoRollback", "true"));

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task ApprovedRequestRollsOutAndBecomesRevisionOne()
    {
        var alice = await app.ClientAsync("alice");

        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", replicas = 2 })).SubmittedIdAsync();

        await app.WaitForStateAsync(id, RequestState.Succeeded);
        var request = await app.WithDbAsync(db => db.DeploymentRequests.SingleAsync(r => r.Id == id));
        var record = await app.WithDbAsync(db => db.RolloutRecords.SingleAsync(r => r.RequestId == id));
        Assert.Equal(1, request.Revision);
        Assert.Equal(RolloutPhase.Succeeded, record.LastSnapshot!.Phase);
        Assert.Equal("deployment \"payments-api\" successfully rolled out", record.LastSnapshot.Message);
        // The timeline holds the apply worker's line, then the tracker's (written without reading the record again), in order.
        var lines = record.Timeline.Select(t => t.Summary).ToList();
        Assert.Equal("Applied", lines[0]);
        Assert.Equal(record.LastSnapshot.Summary, lines[^1]);
        Assert.True(lines.Count >= 3, string.Join(" | ", lines));
        Assert.Equal(record.Timeline.OrderBy(t => t.At).Select(t => t.Summary), lines);
        Assert.True(record.FinishedAt is { } finished && (finished - record.LastSnapshot.At).Duration() < TimeSpan.FromMilliseconds(1), $"finished at {record.FinishedAt:O}, last snapshot at {record.LastSnapshot.At:O}");
        Assert.Contains("kind: Deployment", record.AppliedManifests);
        var kubectl = app.Kubectl("get deploy,svc,configmap -n payments-staging -o name");
        Assert.Contains("deployment.apps/payments-api", kubectl);
        Assert.Contains("service/payments-api", kubectl);
    }

    [Fact]
    public async Task CrashingImageFailsAtTheDeadlineAndSaysWhy()
    {
        var alice = await app.ClientAsync("alice");

        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v2-crash", replicas = 2 })).SubmittedIdAsync();

        await app.WaitForStateAsync(id, RequestState.Failed, TimeSpan.FromSeconds(60));
        var record = await app.WithDbAsync(db => db.RolloutRecords.SingleAsync(r => r.RequestId == id));
        Assert.Equal("deployment \"payments-api\" exceeded its progress deadline", record.LastSnapshot!.Message);
        Assert.Matches(@"^\d+ new pods? crash-looping: \d+ restarts?( in [^,]+)?, last exit Error$", record.LastSnapshot.Blocking);
    }

    [Fact]
    public async Task MissingImageFailsWithAnImagePullExplanation()
    {
        var alice = await app.ClientAsync("alice");

        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v3-missing", replicas = 1 })).SubmittedIdAsync();

        await app.WaitForStateAsync(id, RequestState.Failed, TimeSpan.FromSeconds(60));
        var snapshot = (await RecordAsync(id)).LastSnapshot!;
        Assert.StartsWith("image not found: ", snapshot.Blocking);
        Assert.Contains(snapshot.Pods, p => p.Reason is "ErrImagePull" or "ImagePullBackOff");
    }

    [Fact]
    public async Task PodsThatFitNoNodeAreExplainedAsInsufficientCpu()
    {
        var alice = await app.ClientAsync("alice");

        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v4", replicas = 2, resources = new { cpuRequest = "6", cpuLimit = "8" } })).SubmittedIdAsync();

        await app.WaitForStateAsync(id, RequestState.Failed, TimeSpan.FromSeconds(60));
        var snapshot = (await RecordAsync(id)).LastSnapshot!;
        Assert.Equal("2 new pods cannot be scheduled: insufficient cpu", snapshot.Blocking);
        Assert.Contains(snapshot.Events, e => e.Reason == "FailedScheduling");
    }

    [Fact]
    public async Task ChangingASecretRollsANewReplicaSet()
    {
        var alice = await app.ClientAsync("alice");
        var first = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", replicas = 1, setSecrets = new Dictionary<string, string> { ["DB_PASSWORD"] = "one" } })).SubmittedIdAsync();
        await app.WaitForStateAsync(first, RequestState.Succeeded);

        var second = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { setSecrets = new Dictionary<string, string> { ["DB_PASSWORD"] = "two" } })).SubmittedIdAsync();

        await app.WaitForStateAsync(second, RequestState.Succeeded);
        var snapshot = (await RecordAsync(second)).LastSnapshot!;
        Assert.Equal(2, snapshot.ReplicaSets.Count);
        Assert.Equal("2", snapshot.ReplicaSets.Single(rs => rs.IsNew).Revision);
        Assert.Contains("payments-api-secrets", app.Kubectl("get secrets -n payments-staging -o name"));
    }

    [Fact]
    public async Task AutoscalingAppliesAnHpaAndLeavesReplicasOutThenTurningItOffRemovesIt()
    {
        var alice = await app.ClientAsync("alice");

        var on = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", autoscaling = new { minReplicas = 2, maxReplicas = 5, cpuTargetPercent = 60 } })).SubmittedIdAsync();
        await app.WaitForStateAsync(on, RequestState.Succeeded);
        var hpa = app.Kubectl("get hpa payments-api -n payments-staging -o jsonpath={.spec.minReplicas}-{.spec.maxReplicas}");
        var applied = (await RecordAsync(on)).AppliedManifests;
        var before = app.Kubectl("get deploy payments-api -n payments-staging -o jsonpath={.metadata.resourceVersion}");

        var off = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { replicas = 3 })).SubmittedIdAsync();
        await app.WaitForStateAsync(off, RequestState.Succeeded);

        // The HPA went before the Deployment got its replicas (else it could resize them in between): the cluster's own
        // order of changes since, as a watch resumed from before the request replays it.
        var hpaDeleted = (await ChangesSinceAsync("HorizontalPodAutoscaler", before)).Single(c => c.Type == WatchEventType.Deleted).ResourceVersion;
        var replicasApplied = (await ChangesSinceAsync("Deployment", before)).First(c => c.Replicas == 3).ResourceVersion;
        Assert.True(hpaDeleted < replicasApplied, $"The HPA was deleted at resourceVersion {hpaDeleted}, after the Deployment got 3 replicas at {replicasApplied}.");
        Assert.Equal("2-5", hpa);
        Assert.DoesNotContain("replicas:", applied.Split("kind: HorizontalPodAutoscaler")[0].Split("kind: Deployment")[1].Split("template:")[0]);
        Assert.Contains("NotFound", app.Kubectl("get hpa payments-api -n payments-staging"));
        Assert.Equal("3", app.Kubectl("get deploy payments-api -n payments-staging -o jsonpath={.spec.replicas}"));
    }

    [Fact]
    public async Task RollbackCopiesAnEarlierRevisionAndSkipsApprovalWhereConfigured()
    {
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var v1 = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v1", replicas = 1, setSecrets = new Dictionary<string, string> { ["TOKEN"] = "t1" } })).SubmittedIdAsync();
        await bob.DecideAsync(v1, "approve");
        await app.WaitForStateAsync(v1, RequestState.Succeeded);
        var v2 = await (await alice.SubmitAsync("payments", "payments-api", "production", new { imageTag = "v2" })).SubmittedIdAsync();
        await bob.DecideAsync(v2, "approve");
        await app.WaitForStateAsync(v2, RequestState.Succeeded);

        var response = await alice.PostAsJsonAsync("/api/services/payments/payments-api/environments/production/rollback", new { revision = 1 });

        var rollback = await response.SubmittedIdAsync();
        await app.WaitForStateAsync(rollback, RequestState.Succeeded);
        var (first, back) = await app.WithDbAsync(async db => (await db.DeploymentRequests.SingleAsync(r => r.Id == v1), await db.DeploymentRequests.SingleAsync(r => r.Id == rollback)));
        Assert.Equal(first.Spec.ToJson(), back.Spec.ToJson());
        Assert.Equal((1, 3), (back.RollbackOfRevision!.Value, back.Revision!.Value));
        Assert.Equal("Rollback to revision 1, which was approved before.", await app.WithDbAsync(db => db.RequestDecisions.Where(d => d.RequestId == rollback).Select(d => d.Comment).SingleAsync()));
        Assert.Contains(":v1", app.Kubectl("get deploy payments-api -n payments-production -o jsonpath={.spec.template.spec.containers[0].image}"));
    }

    [Fact]
    public async Task FailedRolloutIsRolledBackAutomaticallyWhereConfigured()
    {
        var alice = await app.ClientAsync("alice");
        var good = await (await alice.SubmitAsync("payments", "payments-api", "canary", new { imageTag = "v1", replicas = 1 })).SubmittedIdAsync();
        await app.WaitForStateAsync(good, RequestState.Succeeded);

        var bad = await (await alice.SubmitAsync("payments", "payments-api", "canary", new { imageTag = "v2-crash" })).SubmittedIdAsync();

        await app.WaitForStateAsync(bad, RequestState.RolledBack, TimeSpan.FromSeconds(60));
        var rollback = await app.WithDbAsync(db => db.DeploymentRequests.SingleAsync(r => r.RollbackOfRevision == 1 && r.Environment == "canary"));
        await app.WaitForStateAsync(rollback.Id, RequestState.Succeeded);
        var trail = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.RequestId == bad).OrderBy(e => e.Id).Select(e => e.Comment).ToListAsync());
        Assert.Equal($"Rolled back automatically by request #{rollback.Id} to revision 1.", trail[^1]);
        Assert.Contains(":v1", app.Kubectl("get deploy payments-api -n payments-canary -o jsonpath={.spec.template.spec.containers[0].image}"));
    }

    private Task<RolloutRecord> RecordAsync(int id) => app.WithDbAsync(db => db.RolloutRecords.SingleAsync(r => r.RequestId == id));

    /// <summary>The changes to payments-api's objects of one kind in payments-staging after <paramref name="resourceVersion"/>, in order.</summary>
    private async Task<List<(WatchEventType Type, long ResourceVersion, int? Replicas)>> ChangesSinceAsync(string kind, string resourceVersion)
    {
        using var kube = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Path.Combine(app.DataDirectory, "sandbox.kubeconfig")));
        const string ns = "payments-staging", name = "metadata.name=payments-api";
        var changes = new List<(WatchEventType, long, int?)>();
        static long Version(V1ObjectMeta metadata) => long.Parse(metadata.ResourceVersion, CultureInfo.InvariantCulture);
        if (kind == "Deployment")
        {
            await foreach (var (type, deployment) in kube.AppsV1.WatchListNamespacedDeploymentAsync(ns, fieldSelector: name, resourceVersion: resourceVersion, timeoutSeconds: 1))
            {
                changes.Add((type, Version(deployment.Metadata), deployment.Spec?.Replicas));
            }
        }
        else
        {
            await foreach (var (type, autoscaler) in kube.AutoscalingV2.WatchListNamespacedHorizontalPodAutoscalerAsync(ns, fieldSelector: name, resourceVersion: resourceVersion, timeoutSeconds: 1))
            {
                changes.Add((type, Version(autoscaler.Metadata), null));
            }
        }

        return changes;
    }

}
