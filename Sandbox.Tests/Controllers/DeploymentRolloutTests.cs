using System.Text.Json.Nodes;
using Sandbox.Controllers;
using Sandbox.Store;

namespace Sandbox.Tests.Controllers;

/// <summary>Deployments rolled out by the controllers on the store, in fake time.</summary>
public sealed class DeploymentRolloutTests : IDisposable
{
    private readonly SimulatedCluster cluster = new();

    public void Dispose() => this.cluster.Dispose();

    [Fact]
    public async Task ADeploymentBecomesAvailableWithReplicaSetPodsAndEvents()
    {
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.25"));

        var took = await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(2), what: "rollout");

        Assert.True(took < TimeSpan.FromSeconds(30), $"took {took} of cluster time");
        var d = this.cluster.Deployment("web");
        Assert.Equal("1", (string?)d["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]);
        Assert.Equal("True", (string?)SimulatedCluster.Condition(d, "Available")!["status"]);
        Assert.Equal("MinimumReplicasAvailable", (string?)SimulatedCluster.Condition(d, "Available")!["reason"]);
        var progressing = SimulatedCluster.Condition(d, "Progressing")!;
        Assert.Equal("NewReplicaSetAvailable", (string?)progressing["reason"]);
        Assert.Equal(3, (int?)d["status"]!["readyReplicas"]);

        var rs = Assert.Single(this.cluster.ReplicaSetsOf("web"));
        var hash = (string?)rs["metadata"]!["labels"]!["pod-template-hash"];
        Assert.Equal($"web-{hash}", (string?)rs["metadata"]!["name"]);
        Assert.Equal(hash, (string?)rs["spec"]!["selector"]!["matchLabels"]!["pod-template-hash"]);
        Assert.Equal(true, (bool?)rs["metadata"]!["ownerReferences"]![0]!["controller"]);
        Assert.Equal((string?)d["metadata"]!["uid"], (string?)rs["metadata"]!["ownerReferences"]![0]!["uid"]);
        Assert.Equal("1", (string?)rs["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]);
        Assert.Equal("3", (string?)rs["metadata"]!["annotations"]!["deployment.kubernetes.io/desired-replicas"]);
        Assert.Equal("4", (string?)rs["metadata"]!["annotations"]!["deployment.kubernetes.io/max-replicas"]);
        Assert.Equal(3, (int?)rs["status"]!["availableReplicas"]);
        Assert.Equal(3, (int?)rs["status"]!["fullyLabeledReplicas"]);

        var pods = this.cluster.PodsOf("web");
        Assert.Equal(3, pods.Count);
        Assert.All(pods, pod =>
        {
            Assert.StartsWith($"web-{hash}-", (string?)pod["metadata"]!["name"]);
            Assert.Equal("Running", (string?)pod["status"]!["phase"]);
            Assert.Equal("True", (string?)SimulatedCluster.Condition(pod, "Ready")!["status"]);
            Assert.StartsWith("sandbox-node-", (string?)pod["spec"]!["nodeName"]);
            Assert.Equal((string?)rs["metadata"]!["uid"], (string?)pod["metadata"]!["ownerReferences"]![0]!["uid"]);
            Assert.NotNull(pod["status"]!["containerStatuses"]![0]!["state"]!["running"]);
        });
        foreach (var reason in new[] { "Scheduled", "Pulling", "Pulled", "Created", "Started", "SuccessfulCreate", "ScalingReplicaSet" })
        {
            Assert.NotEmpty(this.cluster.Events(reason));
        }

        var scaled = Assert.Single(this.cluster.Events("ScalingReplicaSet"));
        Assert.Equal($"Scaled up replica set web-{hash} from 0 to 3", (string?)scaled["message"]);
        Assert.Equal("deployment-controller", (string?)scaled["source"]!["component"]);
        Assert.Equal("Deployment", (string?)scaled["involvedObject"]!["kind"]);
    }

    [Fact]
    public async Task PodsGoThroughContainerCreatingBeforeRunningAndReady()
    {
        var seen = new HashSet<string>();
        using var watch = this.cluster.Store.Subscribe(e =>
        {
            if (e.Resource != ResourceTypes.Pods || e.Type == StoreEventType.Deleted)
            {
                return;
            }

            var status = e.Object["status"];
            var waiting = (string?)status?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"];
            var ready = (string?)SimulatedCluster.Condition(e.Object, "Ready")?["status"];
            seen.Add($"{status?["phase"]}/{waiting ?? (status?["containerStatuses"]?[0]?["state"]?["running"] is null ? "-" : "running")}/{ready ?? "-"}");
        });
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.25", replicas: 1));

        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));

        Assert.Contains("Pending/ContainerCreating/False", seen);
        Assert.Contains("Running/running/False", seen);
        Assert.Contains("Running/running/True", seen);
    }

    [Fact]
    public async Task ADeploymentWithoutReplicasGetsOne()
    {
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("solo", "nginx:1.25", replicas: null));

        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("solo"), TimeSpan.FromMinutes(1));

        var d = this.cluster.Deployment("solo");
        Assert.Equal(1, (int?)d["spec"]!["replicas"]);
        Assert.Equal("RollingUpdate", (string?)d["spec"]!["strategy"]!["type"]);
        Assert.Equal(600, (int?)d["spec"]!["progressDeadlineSeconds"]);
        Assert.Single(this.cluster.PodsOf("solo"));
    }

    [Fact]
    public async Task AnImageChangeRollsToANewReplicaSetWithinTheFenceposts()
    {
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.25", replicas: 10));
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(2));
        var violations = new List<string>();
        using var watch = this.cluster.Store.Subscribe(e =>
        {
            if (e.Resource != ResourceTypes.ReplicaSets && e.Resource != ResourceTypes.Pods)
            {
                return;
            }

            var replicaSets = this.cluster.ReplicaSetsOf("web");
            var total = replicaSets.Sum(rs => (int?)rs["spec"]!["replicas"] ?? 0);
            var available = replicaSets.Sum(rs => (int?)rs["status"]?["availableReplicas"] ?? 0);
            var readyPods = this.cluster.PodsOf("web").Count(p => (string?)SimulatedCluster.Condition(p, "Ready")?["status"] == "True");
            // 10 replicas, 25% defaults: maxSurge 3, maxUnavailable 2.
            if (total > 13)
            {
                violations.Add($"{total} replicas");
            }

            if (available < 8)
            {
                violations.Add($"{available} available");
            }

            if (readyPods < 8)
            {
                violations.Add($"{readyPods} ready pods");
            }
        });

        this.cluster.UpdateDeployment("web", d => SimulatedCluster.SetImage(d, "nginx:1.26"));
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(2));

        Assert.Empty(violations);
        var replicaSets = this.cluster.ReplicaSetsOf("web").OrderBy(rs => (string?)rs["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]).ToList();
        Assert.Equal(2, replicaSets.Count);
        Assert.Equal(0, (int?)replicaSets[0]["spec"]!["replicas"]);
        Assert.Equal(10, (int?)replicaSets[1]["spec"]!["replicas"]);
        Assert.Equal("2", (string?)replicaSets[1]["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]);
        Assert.Equal("2", (string?)this.cluster.Deployment("web")["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]);
        Assert.All(this.cluster.PodsOf("web"), p => Assert.Equal("nginx:1.26", (string?)p["spec"]!["containers"]![0]!["image"]));
        var messages = this.cluster.Events("ScalingReplicaSet").Select(e => (string?)e["message"]).ToList();
        var newName = (string?)replicaSets[1]["metadata"]!["name"];
        var oldName = (string?)replicaSets[0]["metadata"]!["name"];
        Assert.Contains($"Scaled up replica set {newName} from 0 to 3", messages);
        Assert.Contains($"Scaled down replica set {oldName} from 10 to 8", messages);
        Assert.Contains($"Scaled up replica set {newName} from 3 to 5", messages);
        Assert.Contains($"Scaled down replica set {oldName} from 3 to 0", messages);
        Assert.NotEmpty(this.cluster.Events("SuccessfulDelete"));
        Assert.NotEmpty(this.cluster.Events("Killing"));
    }

    [Fact]
    public async Task ACrashingImageEndsInProgressDeadlineExceededWithCrashLoopBackOffPods()
    {
        var deployment = SimulatedCluster.NewDeployment("web", "nginx:1.25");
        deployment["spec"]!["progressDeadlineSeconds"] = 60;
        this.cluster.Store.Create(ResourceTypes.Deployments, deployment);
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));

        this.cluster.UpdateDeployment("web", d => SimulatedCluster.SetImage(d, "nginx:1.26-crash"));
        await this.cluster.AdvanceUntil(
            () => (string?)SimulatedCluster.Condition(this.cluster.Deployment("web"), "Progressing")?["reason"] == "ProgressDeadlineExceeded",
            TimeSpan.FromMinutes(5), what: "ProgressDeadlineExceeded");

        var d = this.cluster.Deployment("web");
        var progressing = SimulatedCluster.Condition(d, "Progressing")!;
        Assert.Equal("False", (string?)progressing["status"]);
        Assert.Matches("^ReplicaSet \"web-[a-z0-9]+\" has timed out progressing.$", (string?)progressing["message"]);
        // maxUnavailable rounds down to 0 for 3 replicas: the old pods stay and the Deployment stays available.
        Assert.Equal("True", (string?)SimulatedCluster.Condition(d, "Available")!["status"]);
        Assert.Equal(3, (int?)d["status"]!["availableReplicas"]);
        Assert.Equal(1, (int?)d["status"]!["updatedReplicas"]);

        await this.cluster.AdvanceUntil(() => this.cluster.PodsOf("web").Any(p => (string?)p["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"] == "CrashLoopBackOff"),
            TimeSpan.FromMinutes(2), what: "CrashLoopBackOff");
        var crashing = this.cluster.PodsOf("web").Single(p => (string?)p["spec"]!["containers"]![0]!["image"] == "nginx:1.26-crash");
        var container = crashing["status"]!["containerStatuses"]![0]!;
        Assert.True((int?)container["restartCount"] >= 2);
        Assert.Equal(1, (int?)container["lastState"]!["terminated"]!["exitCode"]);
        Assert.Equal("Running", (string?)crashing["status"]!["phase"]);
        var backOff = Assert.Single(this.cluster.Events("BackOff"));
        Assert.StartsWith("Back-off restarting failed container app in pod", (string?)backOff["message"]);
        Assert.Equal("Warning", (string?)backOff["type"]);
    }

    [Fact]
    public async Task CrashLoopBackOffDoublesUpToFiveMinutes()
    {
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "app:crash", replicas: 1));
        int Restarts() => this.cluster.PodsOf("web").Select(p => (int?)p["status"]?["containerStatuses"]?[0]?["restartCount"] ?? 0).DefaultIfEmpty(0).Single();
        await this.cluster.AdvanceUntil(() => Restarts() == 1, TimeSpan.FromMinutes(1));

        var gaps = new List<TimeSpan>();
        for (var restarts = 2; restarts <= 8; restarts++)
        {
            var target = restarts;
            gaps.Add(await this.cluster.AdvanceUntil(() => Restarts() == target, TimeSpan.FromMinutes(10)));
        }

        // Each gap is the back-off plus the 2 s the container runs before crashing again.
        Assert.Equal(new[] { 12, 22, 42, 82, 162, 302, 302 }, gaps.Select(g => (int)g.TotalSeconds));
        Assert.True((int?)this.cluster.Events("BackOff").Single()["count"] >= 6, "BackOff events are aggregated into one with a count");
    }

    [Fact]
    public async Task AMissingImageGivesErrImagePullThenImagePullBackOff()
    {
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "registry.local/app:missing", replicas: 1));
        string? Waiting() => (string?)this.cluster.PodsOf("web").FirstOrDefault()?["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"];

        await this.cluster.AdvanceUntil(() => Waiting() == "ErrImagePull", TimeSpan.FromMinutes(1), what: "ErrImagePull");
        await this.cluster.AdvanceUntil(() => Waiting() == "ImagePullBackOff", TimeSpan.FromMinutes(1), what: "ImagePullBackOff");

        var pod = this.cluster.PodsOf("web").Single();
        Assert.Equal("Pending", (string?)pod["status"]!["phase"]);
        Assert.Equal("Back-off pulling image \"registry.local/app:missing\"", (string?)pod["status"]!["containerStatuses"]![0]!["state"]!["waiting"]!["message"]);
        var failures = this.cluster.Events("Failed").Select(e => (string?)e["message"]).ToList();
        Assert.Contains("Error: ErrImagePull", failures);
        Assert.Contains("Error: ImagePullBackOff", failures);
        Assert.Contains(failures, m => m!.StartsWith("Failed to pull image \"registry.local/app:missing\"", StringComparison.Ordinal));
        Assert.Equal("Warning", (string?)this.cluster.Events("Failed")[0]["type"]);
        Assert.False(this.cluster.RolledOut("web"));
    }

    [Fact]
    public async Task ARegistryHookSayingAnImageIsMissingGivesErrImagePull()
    {
        using var cluster = new SimulatedCluster(new SimulationOptions
        {
            ImageExists = async (image, token) =>
            {
                await Task.Yield();
                return !image.Contains("ghost", StringComparison.Ordinal);
            },
        });
        cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("real", "registry.local/real:1.0", replicas: 1));
        cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("ghost", "registry.local/ghost:1.0", replicas: 1));

        await cluster.AdvanceUntil(() => cluster.RolledOut("real"), TimeSpan.FromMinutes(1));
        await cluster.AdvanceUntil(
            () => (string?)cluster.PodsOf("ghost").FirstOrDefault()?["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"] is "ErrImagePull" or "ImagePullBackOff",
            TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task APullLastsUntilASlowRegistryHasAnswered()
    {
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cluster = new SimulatedCluster(new SimulationOptions { ImageExists = (_, _) => answer.Task });
        cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "registry.local/web:1.0", replicas: 1));
        // The registry has not answered, so the controllers are never fully idle: step the clock by hand.
        for (var second = 0; second < 10; second++)
        {
            await cluster.Controllers.WhenIdleExceptRegistryLookups().WaitAsync(TimeSpan.FromSeconds(30));
            cluster.Time.Advance(TimeSpan.FromSeconds(1));
        }
        await cluster.Controllers.WhenIdleExceptRegistryLookups().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEmpty(cluster.Events("Pulling"));
        Assert.Empty(cluster.Events("Pulled"));
        answer.SetResult(true);
        await cluster.AdvanceUntil(() => cluster.RolledOut("web"), TimeSpan.FromSeconds(10));
        Assert.Single(cluster.Events("Pulled"));
    }

    [Fact]
    public async Task TooLargeRequestsLeaveThePodUnschedulableWithAFailedSchedulingEvent()
    {
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("huge", "nginx:1.25", replicas: 1, cpu: "8"));

        await this.cluster.AdvanceUntil(() => this.cluster.Events("FailedScheduling").Count > 0, TimeSpan.FromMinutes(1));

        var pod = this.cluster.PodsOf("huge").Single();
        var scheduled = SimulatedCluster.Condition(pod, "PodScheduled")!;
        Assert.Equal("False", (string?)scheduled["status"]);
        Assert.Equal("Unschedulable", (string?)scheduled["reason"]);
        Assert.Equal("0/3 nodes are available: 3 Insufficient cpu.", (string?)scheduled["message"]);
        Assert.Equal("Pending", (string?)pod["status"]!["phase"]);
        Assert.Null(pod["spec"]!["nodeName"]);
        var failed = Assert.Single(this.cluster.Events("FailedScheduling"));
        Assert.Equal("Warning", (string?)failed["type"]);
        Assert.Equal("default-scheduler", (string?)failed["source"]!["component"]);
        Assert.Equal("0/3 nodes are available: 3 Insufficient cpu.", (string?)failed["message"]);
        Assert.Equal(3, this.cluster.Store.List(ResourceTypes.Nodes, null).Count);
    }

    [Fact]
    public async Task AnUnschedulablePodIsScheduledOnceCapacityFreesUp()
    {
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("filler", "nginx:1.25", replicas: 3, cpu: "3"));
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("filler"), TimeSpan.FromMinutes(1));
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("late", "nginx:1.25", replicas: 1, cpu: "2"));
        await this.cluster.AdvanceUntil(() => this.cluster.Events("FailedScheduling").Count > 0, TimeSpan.FromMinutes(1));

        this.cluster.Store.Delete(ResourceTypes.Deployments, SimulatedCluster.Namespace, "filler");
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("late"), TimeSpan.FromSeconds(30));

        Assert.Empty(this.cluster.PodsOf("filler"));
        Assert.NotNull(this.cluster.PodsOf("late").Single()["spec"]!["nodeName"]);
    }

    [Fact]
    public async Task RecreateStopsEveryOldPodBeforeStartingNewOnes()
    {
        var deployment = SimulatedCluster.NewDeployment("db", "postgres:16", replicas: 3);
        deployment["spec"]!["strategy"] = new JsonObject { ["type"] = "Recreate" };
        this.cluster.Store.Create(ResourceTypes.Deployments, deployment);
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("db"), TimeSpan.FromMinutes(1));
        var overlaps = 0;
        using var watch = this.cluster.Store.Subscribe(e =>
        {
            if (e.Resource != ResourceTypes.Pods)
            {
                return;
            }

            var images = this.cluster.PodsOf("db").Select(p => (string?)p["spec"]!["containers"]![0]!["image"]).Distinct().Count();
            if (images > 1)
            {
                overlaps++;
            }
        });

        this.cluster.UpdateDeployment("db", d => SimulatedCluster.SetImage(d, "postgres:17"));
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("db"), TimeSpan.FromMinutes(1));

        Assert.Equal(0, overlaps);
        Assert.All(this.cluster.PodsOf("db"), p => Assert.Equal("postgres:17", (string?)p["spec"]!["containers"]![0]!["image"]));
        Assert.Null(this.cluster.Deployment("db")["spec"]!["strategy"]!["rollingUpdate"]);
    }

    [Fact]
    public async Task RollingBackToAnOlderTemplateReusesItsReplicaSet()
    {
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.25"));
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));
        var first = (string?)this.cluster.ReplicaSetsOf("web").Single()["metadata"]!["name"];
        this.cluster.UpdateDeployment("web", d => SimulatedCluster.SetImage(d, "nginx:1.26"));
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));

        // kubectl rollout undo patches the template back to the older ReplicaSet's.
        this.cluster.UpdateDeployment("web", d => SimulatedCluster.SetImage(d, "nginx:1.25"));
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));

        var replicaSets = this.cluster.ReplicaSetsOf("web");
        Assert.Equal(2, replicaSets.Count);
        var reused = replicaSets.Single(rs => (string?)rs["metadata"]!["name"] == first);
        Assert.Equal(3, (int?)reused["spec"]!["replicas"]);
        Assert.Equal("3", (string?)reused["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]);
        Assert.Equal("1", (string?)reused["metadata"]!["annotations"]!["deployment.kubernetes.io/revision-history"]);
        Assert.Equal("3", (string?)this.cluster.Deployment("web")["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]);
    }

    [Fact]
    public async Task APausedDeploymentDoesNotRollOutUntilResumed()
    {
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.25"));
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));

        this.cluster.UpdateDeployment("web", d =>
        {
            d["spec"]!["paused"] = true;
            SimulatedCluster.SetImage(d, "nginx:1.26");
        });
        await this.cluster.Settle();
        this.cluster.Time.Advance(TimeSpan.FromMinutes(1));
        await this.cluster.Settle();

        Assert.Single(this.cluster.ReplicaSetsOf("web"));
        Assert.Equal("DeploymentPaused", (string?)SimulatedCluster.Condition(this.cluster.Deployment("web"), "Progressing")!["reason"]);

        this.cluster.UpdateDeployment("web", d => d["spec"]!["paused"] = false);
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));
        Assert.Equal(2, this.cluster.ReplicaSetsOf("web").Count);
    }

    [Fact]
    public async Task ScalingADeploymentScalesItsReplicaSet()
    {
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.25"));
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));

        this.cluster.UpdateDeployment("web", d => d["spec"]!["replicas"] = 6);
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));
        Assert.Equal(6, this.cluster.PodsOf("web").Count);

        this.cluster.UpdateDeployment("web", d => d["spec"]!["replicas"] = 2);
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));
        Assert.Equal(2, this.cluster.PodsOf("web").Count);
        var rs = this.cluster.ReplicaSetsOf("web").Single();
        Assert.Equal("2", (string?)rs["metadata"]!["annotations"]!["deployment.kubernetes.io/desired-replicas"]);
        Assert.Equal("1", (string?)rs["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]);
    }

    [Fact]
    public async Task OldReplicaSetsBeyondTheRevisionHistoryLimitAreDeleted()
    {
        var deployment = SimulatedCluster.NewDeployment("web", "nginx:1.0", replicas: 1);
        deployment["spec"]!["revisionHistoryLimit"] = 1;
        this.cluster.Store.Create(ResourceTypes.Deployments, deployment);
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));

        foreach (var version in new[] { "1.1", "1.2", "1.3" })
        {
            this.cluster.UpdateDeployment("web", d => SimulatedCluster.SetImage(d, $"nginx:{version}"));
            await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));
        }
        await this.cluster.AdvanceUntil(() => this.cluster.ReplicaSetsOf("web").Count == 2, TimeSpan.FromMinutes(1));

        var revisions = this.cluster.ReplicaSetsOf("web").Select(rs => (string?)rs["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]).Order().ToList();
        Assert.Equal(["3", "4"], revisions);
    }

    [Fact]
    public async Task MinReadySecondsDelaysAvailability()
    {
        var deployment = SimulatedCluster.NewDeployment("web", "nginx:1.25", replicas: 1);
        deployment["spec"]!["minReadySeconds"] = 30;
        this.cluster.Store.Create(ResourceTypes.Deployments, deployment);

        var took = await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(2));

        Assert.InRange(took.TotalSeconds, 30, 40);
    }

    [Fact]
    public async Task DeletingADeploymentRemovesItsReplicaSetsAndPods()
    {
        this.cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.25"));
        await this.cluster.AdvanceUntil(() => this.cluster.RolledOut("web"), TimeSpan.FromMinutes(1));

        this.cluster.Store.Delete(ResourceTypes.Deployments, SimulatedCluster.Namespace, "web");
        await this.cluster.Settle();

        Assert.Empty(this.cluster.ReplicaSetsOf("web"));
        Assert.Empty(this.cluster.PodsOf("web"));
    }
}
