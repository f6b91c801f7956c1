using Portal.Cluster;
using Portal.Requests;

namespace Portal.Tests.Requests;

/// <summary>The review step on Ingress, strategy, disruption budget and probes: lines in form terms, and the risk flags.</summary>
public sealed class SpecShapeReviewTests
{
    private static readonly DeploymentEnvironment Staging = new() { Name = "staging" };

    private static readonly RequestSpec Current = new()
    {
        ImageRepository = "registry.example.com/payments/api",
        ImageTag = "v1",
        Replicas = 3,
        Resources = new ResourceSpec("250m", "500m", "256Mi", "512Mi"),
        Readiness = new ProbeSpec("/ready", 8080, 5),
        ContainerPort = 8080,
    };

    private static IReadOnlyList<string> Changes(RequestSpec next) => [.. SpecReview.Compare(Current, next, [], Staging).Changes.Select(c => c.Text)];

    private static IReadOnlyList<string> Risks(RequestSpec next) => [.. SpecReview.Compare(Current, next, [], Staging).Risks.Select(r => r.Text)];

    [Fact]
    public void TheNewSettingsReadInFormTerms()
    {
        var next = Current with
        {
            Readiness = ProbeSpec.Tcp(8080, 5),
            Startup = ProbeSpec.Exec(["cat", "/tmp/started"]) with { FailureThreshold = 60 },
            Strategy = new RolloutStrategySpec(RolloutStrategyKind.RollingUpdate, "1", "0"),
            DisruptionBudget = new DisruptionBudgetSpec("1", null),
            Ingress = new IngressSpec("shop.example.com", "/", IngressPathType.Prefix, "shop-tls", "letsencrypt", null),
        };

        Assert.Equal(
        [
            "readiness probe GET /ready on port 8080, after 5s, every 10s, timeout 1s, 1 success / 3 failures → TCP port 8080, after 5s, every 10s, timeout 1s, 1 success / 3 failures",
            "startup probe added: exec cat /tmp/started, after 0s, every 10s, timeout 1s, 1 success / 60 failures",
            "rollout strategy rolling update, max surge 25%, max unavailable 25% → rolling update, max surge 1, max unavailable 0",
            "disruption budget added: min available 1",
            "ingress added: https://shop.example.com/ (Prefix), TLS from secret shop-tls issued by letsencrypt",
        ], Changes(next));
        Assert.Empty(Risks(next));
    }

    [Theory]
    [InlineData("3", null)]
    [InlineData("100%", null)]
    [InlineData("5", null)]
    [InlineData(null, "0")]
    [InlineData(null, "0%")]
    public void ABudgetThatAllowsNoDisruptionIsFlagged(string? minAvailable, string? maxUnavailable)
    {
        var risks = Risks(Current with { DisruptionBudget = new DisruptionBudgetSpec(minAvailable, maxUnavailable) });

        Assert.Contains(risks, r => r.Contains("allows 0 disruptions", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("2", null)]
    [InlineData("50%", null)]
    [InlineData(null, "1")]
    [InlineData(null, "10%")]
    public void ABudgetThatAllowsADisruptionIsNotFlagged(string? minAvailable, string? maxUnavailable)
    {
        Assert.Empty(Risks(Current with { DisruptionBudget = new DisruptionBudgetSpec(minAvailable, maxUnavailable) }));
    }

    [Fact]
    public void MaxUnavailableOfEveryPodAndRecreateAreFlagged()
    {
        Assert.Contains(Risks(Current with { Strategy = new RolloutStrategySpec(RolloutStrategyKind.RollingUpdate, "1", "100%") }), r => r.StartsWith("Max unavailable 100%", StringComparison.Ordinal));
        Assert.Contains(Risks(Current with { Strategy = new RolloutStrategySpec(RolloutStrategyKind.RollingUpdate, "0", "3") }), r => r.StartsWith("Max unavailable 3", StringComparison.Ordinal));
        Assert.Empty(Risks(Current with { Strategy = new RolloutStrategySpec(RolloutStrategyKind.RollingUpdate, "0", "2") }));
        Assert.Contains(Risks(Current with { Strategy = new RolloutStrategySpec(RolloutStrategyKind.Recreate, null, null) }), r => r.StartsWith("Recreate", StringComparison.Ordinal));
    }

    [Fact]
    public void RemovingTheIngressOrTheStartupProbeIsFlagged()
    {
        var with = Current with { Startup = ProbeSpec.Http("/started", 8080), Ingress = new IngressSpec("shop.example.com", "/", IngressPathType.Prefix, null, null, null) };

        var risks = SpecReview.Compare(with, Current, [], Staging).Risks.Select(r => r.Text).ToList();

        Assert.Contains("External access through shop.example.com/ is removed.", risks);
        Assert.Contains("The startup probe is removed.", risks);
    }
}
