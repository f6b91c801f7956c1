using Portal.Cluster;
using Portal.Requests;

namespace Portal.Tests.Requests;

public sealed class SpecReviewTests
{
    private static readonly DeploymentEnvironment Production = new() { Name = "production", RequiresApproval = true, MaxReplicas = 20 };

    private static readonly RequestSpec Current = new()
    {
        ImageRepository = "registry.example.com/payments/api",
        ImageTag = "v1",
        Replicas = 3,
        Resources = new ResourceSpec("250m", "500m", "256Mi", "512Mi"),
        EnvVars = [new EnvVarSpec("LOG_LEVEL", "info")],
        Readiness = new ProbeSpec("/ready", 8080, 5),
        Liveness = new ProbeSpec("/live", 8080, 15),
        ContainerPort = 8080,
    };

    [Fact]
    public void ChangesReadInFormTerms()
    {
        var next = Current with { ImageTag = "v2", Replicas = 5, EnvVars = [new EnvVarSpec("LOG_LEVEL", "debug"), new EnvVarSpec("FEATURE_X", "on")] };

        var review = SpecReview.Compare(Current, next, [new SecretChange("DB_PASSWORD", SecretChangeKind.Replaced)], Production);

        Assert.Equal(["image v1 → v2", "replicas 3 → 5", "env LOG_LEVEL changed", "env FEATURE_X added", "secret DB_PASSWORD changed"], review.Changes.Select(c => c.Text));
        Assert.Empty(review.Risks);
    }

    [Fact]
    public void AutoscalingOnIsDescribedWithItsBounds()
    {
        var next = Current with { Replicas = null, Autoscaling = new AutoscalingSpec(2, 10, 70, null) };

        var review = SpecReview.Compare(Current, next, [], Production);

        Assert.Equal("autoscaling on: 2–10 at 70% CPU", Assert.Single(review.Changes).Text);
    }

    [Fact]
    public void DangerousChangesAreFlagged()
    {
        var scaleToZero = SpecReview.Compare(Current, Current with { Replicas = 0 }, [], Production);
        var probeRemoved = SpecReview.Compare(Current, Current with { Liveness = null }, [], Production);
        var limitsLowered = SpecReview.Compare(Current, Current with { Resources = Current.Resources with { MemoryLimit = "256Mi" } }, [], Production);
        var hpaBelowReplicas = SpecReview.Compare(Current, Current with { Replicas = null, Autoscaling = new AutoscalingSpec(1, 2, 70, null) }, [], Production);
        var firstDeploy = SpecReview.Compare(null, Current, [], Production);

        Assert.Contains("Scales to 0", Assert.Single(scaleToZero.Risks).Text);
        Assert.Equal("The liveness probe is removed.", Assert.Single(probeRemoved.Risks).Text);
        Assert.Equal("Memory limit lowered from 512Mi to 256Mi.", Assert.Single(limitsLowered.Risks).Text);
        Assert.Contains("below the current 3 replicas", Assert.Single(hpaBelowReplicas.Risks).Text);
        Assert.Equal("First deploy to production.", Assert.Single(firstDeploy.Risks).Text);
    }

    [Fact]
    public void IdenticalSpecsChangeNothing() => Assert.True(SpecReview.Compare(Current, Current with { }, [], Production).ChangesNothing);
}
