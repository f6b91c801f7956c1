using System.Text.Json.Nodes;
using Sandbox.Controllers;
using Sandbox.Store;

namespace Sandbox.Tests.Controllers;

/// <summary>The HPA controller against a simulated CPU load, in fake time.</summary>
public sealed class HorizontalPodAutoscalerTests : IDisposable
{
    private readonly SimulatedCluster cluster = new();

    public void Dispose() => cluster.Dispose();

    [Fact]
    public async Task HighUtilizationScalesUpToMaxReplicasAndLowUtilizationBackToMinAfterTheStabilizationWindow()
    {
        var deployment = SimulatedCluster.NewDeployment("api", "api:1.0", replicas: null, cpu: "100m");
        deployment["metadata"]!["annotations"] = new JsonObject { [SimulationOptions.CpuUtilizationAnnotation] = "150" };
        cluster.Store.Create(ResourceTypes.Deployments, deployment);
        cluster.Store.Create(ResourceTypes.HorizontalPodAutoscalers, Autoscaler("api", min: 2, max: 5, targetUtilization: 50));

        await cluster.AdvanceUntil(() => Replicas() == 5 && cluster.RolledOut("api"), TimeSpan.FromMinutes(2), what: "scale up to 5");

        var hpa = Hpa();
        Assert.Equal(5, (int?)hpa["status"]!["desiredReplicas"]);
        Assert.Equal(150, (int?)hpa["status"]!["currentMetrics"]![0]!["resource"]!["current"]!["averageUtilization"]);
        Assert.Equal("150m", (string?)hpa["status"]!["currentMetrics"]![0]!["resource"]!["current"]!["averageValue"]);
        Assert.NotNull(hpa["status"]!["lastScaleTime"]);
        Assert.Equal("ValidMetricFound", (string?)SimulatedCluster.Condition(hpa, "ScalingActive")!["reason"]);
        Assert.Contains(cluster.Events("SuccessfulRescale"), e => (string?)e["message"] == "New size: 5; reason: cpu resource utilization (percentage of request) above target");
        Assert.Equal(5, cluster.PodsOf("api").Count);

        cluster.UpdateDeployment("api", d => d["metadata"]!["annotations"]![SimulationOptions.CpuUtilizationAnnotation] = "10");
        var took = await cluster.AdvanceUntil(() => Replicas() == 2, TimeSpan.FromMinutes(10), step: TimeSpan.FromSeconds(5), what: "scale down to 2");

        Assert.InRange(took, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(6));
        hpa = Hpa();
        Assert.Equal(2, (int?)hpa["status"]!["desiredReplicas"]);
        Assert.Equal("TooFewReplicas", (string?)SimulatedCluster.Condition(hpa, "ScalingLimited")!["reason"]);
        Assert.Contains(cluster.Events("SuccessfulRescale"), e => (string?)e["message"] == "New size: 2; reason: All metrics below target");
        await cluster.AdvanceUntil(() => cluster.RolledOut("api"), TimeSpan.FromMinutes(1));
        Assert.Equal(2, cluster.PodsOf("api").Count);
    }

    [Fact]
    public async Task TheMaximumBoundsAScaleUpAndIsReportedAsScalingLimited()
    {
        var deployment = SimulatedCluster.NewDeployment("api", "api:1.0", replicas: 2, cpu: "100m");
        deployment["metadata"]!["annotations"] = new JsonObject { [SimulationOptions.CpuUtilizationAnnotation] = "500" };
        cluster.Store.Create(ResourceTypes.Deployments, deployment);
        cluster.Store.Create(ResourceTypes.HorizontalPodAutoscalers, Autoscaler("api", min: 1, max: 3, targetUtilization: 50));

        await cluster.AdvanceUntil(() => (int?)Hpa()["status"]?["desiredReplicas"] == 3, TimeSpan.FromMinutes(1));

        Assert.Equal(3, Replicas());
        var limited = SimulatedCluster.Condition(Hpa(), "ScalingLimited")!;
        Assert.Equal("True", (string?)limited["status"]);
        Assert.Equal("TooManyReplicas", (string?)limited["reason"]);
    }

    [Fact]
    public async Task UtilizationWithinTheToleranceLeavesTheSizeAlone()
    {
        var deployment = SimulatedCluster.NewDeployment("api", "api:1.0", replicas: 4, cpu: "100m");
        deployment["metadata"]!["annotations"] = new JsonObject { [SimulationOptions.CpuUtilizationAnnotation] = "54" };
        cluster.Store.Create(ResourceTypes.Deployments, deployment);
        cluster.Store.Create(ResourceTypes.HorizontalPodAutoscalers, Autoscaler("api", min: 1, max: 10, targetUtilization: 50));

        await cluster.AdvanceUntil(() => Hpa()["status"]?["currentReplicas"] is not null, TimeSpan.FromMinutes(1));
        cluster.Time.Advance(TimeSpan.FromMinutes(1));
        await cluster.Settle();

        Assert.Equal(4, Replicas());
        Assert.Equal("ReadyForNewScale", (string?)SimulatedCluster.Condition(Hpa(), "AbleToScale")!["reason"]);
        Assert.Empty(cluster.Events("SuccessfulRescale"));
    }

    [Fact]
    public async Task AMissingTargetIsReportedAsFailedGetScale()
    {
        cluster.Store.Create(ResourceTypes.HorizontalPodAutoscalers, Autoscaler("nothing", min: 1, max: 3, targetUtilization: 50));

        await cluster.AdvanceUntil(() => cluster.Events("FailedGetScale").Count > 0, TimeSpan.FromMinutes(1));

        var able = SimulatedCluster.Condition(Hpa(), "AbleToScale")!;
        Assert.Equal("False", (string?)able["status"]);
        Assert.Equal("FailedGetScale", (string?)able["reason"]);
    }

    private int? Replicas() => (int?)cluster.Deployment("api")["spec"]?["replicas"];

    private JsonObject Hpa() => cluster.Store.List(ResourceTypes.HorizontalPodAutoscalers, SimulatedCluster.Namespace).Single();

    internal static JsonObject Autoscaler(string target, int min, int max, int targetUtilization) => new()
    {
        ["apiVersion"] = "autoscaling/v2",
        ["kind"] = "HorizontalPodAutoscaler",
        ["metadata"] = new JsonObject { ["name"] = target, ["namespace"] = SimulatedCluster.Namespace },
        ["spec"] = new JsonObject
        {
            ["scaleTargetRef"] = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = target },
            ["minReplicas"] = min,
            ["maxReplicas"] = max,
            ["metrics"] = new JsonArray(new JsonObject
            {
                ["type"] = "Resource",
                ["resource"] = new JsonObject
                {
                    ["name"] = "cpu",
                    ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = targetUtilization },
                },
            }),
        },
    };
}
