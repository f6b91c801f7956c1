using System.Text.Json.Nodes;
using Sandbox.Controllers;
using Sandbox.Store;

namespace Sandbox.Tests.Controllers;

/// <summary>Behaviour beyond a single rollout: proportional scaling, settable nodes, restarts, event expiry.</summary>
public sealed class ClusterBehaviourTests
{
    [Fact]
    public async Task ScalingDuringAStuckRolloutSpreadsReplicasProportionally()
    {
        // The example of the Kubernetes documentation ("Proportional scaling"): 10 replicas, maxSurge 3,
        // maxUnavailable 2, a new image that never becomes available, then a scale to 15.
        using var cluster = new SimulatedCluster();
        var deployment = SimulatedCluster.NewDeployment("web", "nginx:1.25", replicas: 10);
        deployment["spec"]!["strategy"] = JsonNode.Parse("""{"type":"RollingUpdate","rollingUpdate":{"maxSurge":3,"maxUnavailable":2}}""");
        cluster.Store.Create(ResourceTypes.Deployments, deployment);
        await cluster.AdvanceUntil(() => cluster.RolledOut("web"), TimeSpan.FromMinutes(1));
        cluster.UpdateDeployment("web", d => SimulatedCluster.SetImage(d, "nginx:missing"));
        await cluster.AdvanceUntil(() => Sizes(cluster) == "8,5", TimeSpan.FromMinutes(1));

        cluster.UpdateDeployment("web", d => d["spec"]!["replicas"] = 15);
        await cluster.AdvanceUntil(() => Sizes(cluster) == "11,7", TimeSpan.FromMinutes(1));
        cluster.Time.Advance(TimeSpan.FromMinutes(1));
        await cluster.Settle();

        Assert.Equal("11,7", Sizes(cluster));
        Assert.All(cluster.ReplicaSetsOf("web"), rs => Assert.Equal("15", (string?)rs["metadata"]!["annotations"]!["deployment.kubernetes.io/desired-replicas"]));
    }

    [Fact]
    public async Task NodesCanBeSizedAndCounted()
    {
        using var cluster = new SimulatedCluster(new SimulationOptions { NodeCount = 1, NodeCpu = "2", NodeMemory = "4Gi" });
        cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.25", replicas: 3, cpu: "750m"));

        await cluster.AdvanceUntil(() => cluster.Events("FailedScheduling").Count > 0, TimeSpan.FromMinutes(1));

        var node = Assert.Single(cluster.Store.List(ResourceTypes.Nodes, null));
        Assert.Equal("sandbox-node-1", (string?)node["metadata"]!["name"]);
        Assert.Equal("2", (string?)node["status"]!["allocatable"]!["cpu"]);
        Assert.Equal("True", (string?)SimulatedCluster.Condition(node, "Ready")!["status"]);
        Assert.Equal(2, cluster.PodsOf("web").Count(p => p["spec"]?["nodeName"] is not null));
        Assert.Equal("0/1 nodes are available: 1 Insufficient cpu.", (string?)cluster.Events("FailedScheduling").Single()["message"]);
    }

    [Fact]
    public async Task ControllersStartedAgainOnAnExistingClusterLeaveRunningPodsAlone()
    {
        using var cluster = new SimulatedCluster();
        cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.25"));
        await cluster.AdvanceUntil(() => cluster.RolledOut("web"), TimeSpan.FromMinutes(1));
        var pods = cluster.PodsOf("web").Select(p => (string?)p["metadata"]!["name"]).Order().ToList();
        var pulls = cluster.Events("Pulling").Count;
        cluster.Controllers.Dispose();

        using var restarted = new ControllerManager(cluster.Store, new SimulationOptions());
        restarted.Start();
        cluster.Time.Advance(TimeSpan.FromMinutes(1));
        await restarted.WhenIdle().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(pods, cluster.PodsOf("web").Select(p => (string?)p["metadata"]!["name"]).Order().ToList());
        Assert.Equal(pulls, cluster.Events("Pulling").Count);
        Assert.True(cluster.RolledOut("web"));
        Assert.Equal(3, cluster.Store.List(ResourceTypes.Nodes, null).Count);
        Assert.All(cluster.PodsOf("web"), p => Assert.Equal(0, (int?)p["status"]!["containerStatuses"]![0]!["restartCount"]));
    }

    [Fact]
    public async Task EventsExpireAfterAnHour()
    {
        using var cluster = new SimulatedCluster();
        cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.25", replicas: 1));
        await cluster.AdvanceUntil(() => cluster.RolledOut("web"), TimeSpan.FromMinutes(1));
        Assert.NotEmpty(cluster.Events());

        await cluster.AdvanceUntil(() => cluster.Events().Count == 0, TimeSpan.FromHours(2), step: TimeSpan.FromMinutes(1));

        Assert.True(cluster.RolledOut("web"));
    }

    [Fact]
    public async Task ScalingToZeroRemovesEveryPod()
    {
        using var cluster = new SimulatedCluster();
        cluster.Store.Create(ResourceTypes.Deployments, SimulatedCluster.NewDeployment("web", "nginx:1.25"));
        await cluster.AdvanceUntil(() => cluster.RolledOut("web"), TimeSpan.FromMinutes(1));

        cluster.UpdateDeployment("web", d => d["spec"]!["replicas"] = 0);
        await cluster.AdvanceUntil(() => cluster.PodsOf("web").Count == 0 && cluster.RolledOut("web"), TimeSpan.FromMinutes(1));

        Assert.Equal("True", (string?)SimulatedCluster.Condition(cluster.Deployment("web"), "Available")!["status"]);
    }

    [Fact]
    public async Task APodOfItsOwnIsScheduledAndRun()
    {
        using var cluster = new SimulatedCluster();
        cluster.Store.Create(ResourceTypes.Pods, JsonNode.Parse("""
            {"metadata":{"name":"debug","namespace":"default"},
             "spec":{"containers":[{"name":"shell","image":"busybox:1.36","readinessProbe":{"initialDelaySeconds":5}}]}}
            """)!.AsObject());

        var took = await cluster.AdvanceUntil(
            () => (string?)SimulatedCluster.Condition(cluster.Store.Get(ResourceTypes.Pods, "default", "debug")!, "Ready")?["status"] == "True",
            TimeSpan.FromMinutes(1));

        Assert.InRange(took.TotalSeconds, 6, 8);
        Assert.Equal("Running", (string?)cluster.Store.Get(ResourceTypes.Pods, "default", "debug")!["status"]!["phase"]);
    }

    private static string Sizes(SimulatedCluster cluster) =>
        string.Join(',', cluster.ReplicaSetsOf("web")
            .OrderBy(rs => (string?)rs["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"])
            .Select(rs => (int?)rs["spec"]!["replicas"]));
}
