using System.Text.Json.Nodes;
using Sandbox.Controllers;

namespace Sandbox.Tests.Controllers;

/// <summary>The rules the controllers are built from, each checked on its own.</summary>
public sealed class SimulationRulesTests
{
    [Theory]
    [InlineData("250m", 250)]
    [InlineData("1", 1000)]
    [InlineData("0.5", 500)]
    [InlineData("1.5", 1500)]
    [InlineData("100u", 1)]
    [InlineData("2k", 2_000_000)]
    public void CpuQuantitiesReadAsMillicores(string text, long millicores)
    {
        Assert.Equal(millicores, Quantity.ToMilli(text));
    }

    [Theory]
    [InlineData("512Mi", 512L * 1024 * 1024)]
    [InlineData("1Gi", 1024L * 1024 * 1024)]
    [InlineData("1G", 1_000_000_000L)]
    [InlineData("1e3", 1000L)]
    [InlineData("1E3", 1000L)]
    [InlineData("128974848", 128974848L)]
    [InlineData("129M", 129_000_000L)]
    [InlineData("16Gi", 16L * 1024 * 1024 * 1024)]
    public void MemoryQuantitiesReadAsBytes(string text, long bytes)
    {
        Assert.Equal(bytes, Quantity.ToUnits(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Mi")]
    [InlineData("12 Mi")]
    [InlineData("1Qi")]
    public void MalformedQuantitiesAreRejected(string text)
    {
        Assert.False(Quantity.TryParse(text, out _));
    }

    [Fact]
    public void ExaIsASuffixNotAnExponent()
    {
        Assert.True(Quantity.TryParse("2E", out var value));
        Assert.Equal(2_000_000_000_000_000_000m, value);
    }

    [Fact]
    public void PodTemplateHashIsStableAndUsesTheSafeAlphabet()
    {
        var template = Template("nginx:1.25");

        var hash = PodTemplateHash.Compute(template);

        Assert.Equal(hash, PodTemplateHash.Compute(Template("nginx:1.25")));
        Assert.NotEqual(hash, PodTemplateHash.Compute(Template("nginx:1.26")));
        Assert.InRange(hash.Length, 1, 10);
        Assert.All(hash, c => Assert.Contains(c, "bcdfghjklmnpqrstvwxz2456789"));
    }

    [Fact]
    public void PodTemplateHashIgnoresKeyOrderEmptyFieldsAndItsOwnLabel()
    {
        var reordered = JsonNode.Parse("""
            {"spec":{"containers":[{"image":"nginx:1.25","name":"app","resources":{}}]},
             "metadata":{"creationTimestamp":null,"labels":{"pod-template-hash":"xyz","app":"web"}}}
            """);

        Assert.Equal(PodTemplateHash.Compute(Template("nginx:1.25")), PodTemplateHash.Compute(reordered));
        Assert.True(PodTemplateHash.SameTemplate(Template("nginx:1.25"), reordered));
    }

    [Fact]
    public void ACollisionCountChangesTheHash()
    {
        Assert.NotEqual(PodTemplateHash.Compute(Template("nginx:1.25")), PodTemplateHash.Compute(Template("nginx:1.25"), 1));
    }

    [Fact]
    public void SafeEncodingMapsDigitsLikeKubernetes()
    {
        // rand.SafeEncodeString("0123456789"): each rune indexes the alphabet modulo its length (27).
        Assert.Equal("456789bcdf", PodTemplateHash.SafeEncode("0123456789"));
    }

    [Fact]
    public void APodFitsWhereRequestsLeaveRoom()
    {
        var node = new ResourceAmounts(4000, 16L << 30, 110);

        Assert.Empty(Scheduler.Misfits(node, new ResourceAmounts(3000, 1L << 30, 3), new ResourceAmounts(1000, 1L << 30, 1)));
        Assert.Equal(["Insufficient cpu"], Scheduler.Misfits(node, new ResourceAmounts(3500, 0, 3), new ResourceAmounts(1000, 0, 1)));
        Assert.Equal(["Insufficient cpu", "Insufficient memory"], Scheduler.Misfits(node, new ResourceAmounts(0, 0, 0), new ResourceAmounts(8000, 32L << 30, 1)));
        Assert.Equal(["Too many pods"], Scheduler.Misfits(node, new ResourceAmounts(0, 0, 110), new ResourceAmounts(0, 0, 1)));
    }

    [Fact]
    public void APodWithoutRequestsAlwaysFitsResourceWise()
    {
        var full = new ResourceAmounts(4000, 16L << 30, 110);

        Assert.Empty(Scheduler.Misfits(full, full with { Pods = 5 }, new ResourceAmounts(0, 0, 1)));
    }

    [Fact]
    public void FailedSchedulingMessageCountsReasonsOverNodes()
    {
        Assert.Equal("0/3 nodes are available: 3 Insufficient cpu.", Scheduler.FailureMessage(3, ["Insufficient cpu", "Insufficient cpu", "Insufficient cpu"]));
        Assert.Equal(
            "0/3 nodes are available: 1 Insufficient memory, 3 Insufficient cpu.",
            Scheduler.FailureMessage(3, ["Insufficient cpu", "Insufficient cpu", "Insufficient memory", "Insufficient cpu"]));
    }

    [Fact]
    public void RequestsDefaultToLimitsAndInitContainersCountAtTheirPeak()
    {
        var pod = JsonNode.Parse("""
            {"spec":{
              "containers":[{"name":"a","resources":{"requests":{"cpu":"250m","memory":"128Mi"}}},
                            {"name":"b","resources":{"limits":{"cpu":"500m","memory":"1Gi"}}}],
              "initContainers":[{"name":"i","resources":{"requests":{"cpu":"2"}}}]}}
            """)!.AsObject();

        var requests = PodResources.Requests(pod);

        Assert.Equal(2000, requests.MilliCpu);
        Assert.Equal((128L << 20) + (1L << 30), requests.MemoryBytes);
    }

    [Theory]
    [InlineData("nginx:1.25", ImageBehaviour.Runs)]
    [InlineData("nginx", ImageBehaviour.Runs)]
    [InlineData("registry.local:5000/team/app:1.0-crash", ImageBehaviour.CrashLoop)]
    [InlineData("app:CRASHING", ImageBehaviour.CrashLoop)]
    [InlineData("app:missing", ImageBehaviour.PullFailure)]
    [InlineData("app:v2-notfound", ImageBehaviour.PullFailure)]
    [InlineData("app:slow-start", ImageBehaviour.SlowReadiness)]
    [InlineData("app:unready", ImageBehaviour.NeverReady)]
    [InlineData("crash-reporter:1.0", ImageBehaviour.Runs)]
    [InlineData("registry:5000/app@sha256:abc", ImageBehaviour.Runs)]
    public void ImageBehaviourFollowsTheDefaultRulesOnTheTag(string image, ImageBehaviour behaviour)
    {
        Assert.Equal(behaviour, Kubelet.BehaviourOf(image, new SimulationOptions().ImageRules));
    }

    [Fact]
    public void ImageRulesAreConfigurable()
    {
        var rules = new List<ImageRule> { new("broken", ImageBehaviour.CrashLoop) };

        Assert.Equal(ImageBehaviour.CrashLoop, Kubelet.BehaviourOf("app:broken", rules));
        Assert.Equal(ImageBehaviour.Runs, Kubelet.BehaviourOf("app:crash", rules));
    }

    [Theory]
    [InlineData(2, 150, 50, 6)]
    [InlineData(4, 54, 50, 4)]
    [InlineData(4, 46, 50, 4)]
    [InlineData(4, 56, 50, 5)]
    [InlineData(10, 10, 50, 2)]
    [InlineData(3, 100, 80, 4)]
    [InlineData(0, 300, 50, 0)]
    public void AutoscalerProposesCeilingOfCurrentTimesRatioOutsideTheTolerance(int current, int utilization, int target, int desired)
    {
        Assert.Equal(desired, Autoscaling.DesiredReplicas(current, utilization, target, 0.1));
    }

    private static JsonNode Template(string image) => new JsonObject
    {
        ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "web" } },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = image }) },
    };
}
