using Portal.Catalog;
using Portal.Cluster;
using Portal.Requests;

namespace Portal.Tests.Workloads;

/// <summary>The request validator on volumes and workers, and the review's flags.</summary>
public sealed class VolumeValidationTests
{
    private static readonly DeploymentEnvironment Staging = new() { Name = "staging", MaxReplicas = 10 };

    private static RequestForm Form(params VolumeRow[] volumes)
    {
        var form = RequestForm.FirstDeploy(8080, 10);
        form.ImageTag = "v1";
        form.Volumes = [.. volumes];
        return form;
    }

    private static VolumeRow Row(string name = "data", string size = "1Gi", string path = "/var/lib/data", VolumeAccessMode mode = VolumeAccessMode.ReadWriteOnce, string? storageClass = null) =>
        new() { Name = name, Size = size, MountPath = path, AccessMode = mode, StorageClass = storageClass };

    private static Dictionary<string, string[]> Validate(RequestForm form, params RequestSpec?[] before) =>
        RequestValidator.Validate(form, Staging, new Dictionary<string, int>(), VolumeRules.Claimed(before));

    private static RequestSpec Applied(params VolumeSpec[] volumes) => new()
    {
        ImageRepository = "registry.example.com/payments/db",
        ImageTag = "v1",
        Replicas = 1,
        Resources = new ResourceSpec("250m", "500m", "256Mi", "512Mi"),
        ContainerPort = 8080,
        Volumes = volumes,
    };

    [Fact]
    public void AGoodVolumeIsAccepted()
    {
        Assert.Empty(Validate(Form(Row(), Row("cache", "500Mi", "/var/cache/app", VolumeAccessMode.ReadWriteMany, "fast"))));
    }

    [Fact]
    public void AVolumeMayGrow()
    {
        Assert.Empty(Validate(Form(Row(size: "20Gi")), Applied(new VolumeSpec("data", "10Gi", "/var/lib/data", null, VolumeAccessMode.ReadWriteOnce))));
    }

    [Fact]
    public void AVolumeMayNotShrinkAndTheReasonIsNextToItsSize()
    {
        var errors = Validate(Form(Row(size: "5Gi")), Applied(new VolumeSpec("data", "10Gi", "/var/lib/data", null, VolumeAccessMode.ReadWriteOnce)));

        var message = Assert.Single(Assert.Single(errors, e => e.Key == "Volumes[0].Size").Value);
        Assert.Contains("never shrink", message, StringComparison.Ordinal);
        Assert.Contains("10Gi", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLargestSizeKnownCountsEvenWhenTheCurrentRevisionIsSmaller()
    {
        // A failed rollout applied 20Gi after revision 1's 10Gi: the claim has 20Gi now.
        var errors = Validate(Form(Row(size: "15Gi")),
            Applied(new VolumeSpec("data", "10Gi", "/var/lib/data", null, VolumeAccessMode.ReadWriteOnce)),
            Applied(new VolumeSpec("data", "20Gi", "/var/lib/data", null, VolumeAccessMode.ReadWriteOnce)));

        Assert.Contains("20Gi", Assert.Single(errors["Volumes[0].Size"]), StringComparison.Ordinal);
    }

    [Fact]
    public void AClaimKeepsItsAccessModeAndClass()
    {
        var errors = Validate(Form(Row(mode: VolumeAccessMode.ReadWriteMany, storageClass: "fast")), Applied(new VolumeSpec("data", "1Gi", "/var/lib/data", null, VolumeAccessMode.ReadWriteOnce)));

        Assert.True(errors.ContainsKey("Volumes[0].AccessMode"), string.Join("; ", errors.Keys));
        Assert.True(errors.ContainsKey("Volumes[0].StorageClass"), string.Join("; ", errors.Keys));
    }

    [Theory]
    [InlineData("Data", "Name")]
    [InlineData("-data", "Name")]
    [InlineData("", "Name")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234", "Name")]
    public void BadNamesAreRefused(string name, string field)
    {
        Assert.True(Validate(Form(Row(name))).ContainsKey($"Volumes[0].{field}"));
    }

    [Theory]
    [InlineData("ten gigs")]
    [InlineData("10GB")]
    [InlineData("0")]
    [InlineData("-1Gi")]
    [InlineData("1.5m")]
    [InlineData("")]
    public void BadSizesAreRefused(string size)
    {
        Assert.True(Validate(Form(Row(size: size))).ContainsKey("Volumes[0].Size"));
    }

    [Theory]
    [InlineData("var/lib/data")]
    [InlineData("/")]
    [InlineData("/data/../etc")]
    [InlineData("/my data")]
    [InlineData("/c:/data")]
    [InlineData("")]
    public void BadMountPathsAreRefused(string path)
    {
        Assert.True(Validate(Form(Row(path: path))).ContainsKey("Volumes[0].MountPath"));
    }

    [Fact]
    public void NamesAreUniqueAndPathsDoNotOverlap()
    {
        var errors = Validate(Form(Row("data", path: "/data"), Row("data", path: "/other"), Row("logs", path: "/data/logs"), Row("same", path: "/other/")));

        Assert.Contains("twice", Assert.Single(errors["Volumes[1].Name"]), StringComparison.Ordinal);
        Assert.Contains("overlaps /data", Assert.Single(errors["Volumes[2].MountPath"]), StringComparison.Ordinal);
        Assert.Contains("already the mount path", Assert.Single(errors["Volumes[3].MountPath"]), StringComparison.Ordinal);
    }

    [Fact]
    public void AtMostTenVolumes()
    {
        var errors = Validate(Form([.. Enumerable.Range(0, VolumeRules.MaxVolumes + 1).Select(i => Row($"v{i}", path: $"/v{i}"))]));

        Assert.True(errors.ContainsKey("Volumes"));
    }

    [Fact]
    public void AWorkerNeedsNoPortButNoIngressEither()
    {
        var form = RequestForm.FirstDeploy(0, 10, ServiceKind.Worker);
        form.ImageTag = "v1";
        Assert.False(form.ReadinessEnabled);
        Assert.Empty(Validate(form));
        Assert.Equal(0, form.ToSpec("registry.example.com/x", null, new Dictionary<string, int>(), _ => 0).ContainerPort);

        form.IngressEnabled = true;
        form.IngressHost = "worker.example.com";
        Assert.Contains("nothing to route", Assert.Single(Validate(form)["IngressEnabled"]), StringComparison.Ordinal);
    }

    [Fact]
    public void AWebServiceStillNeedsItsPort()
    {
        var form = Form();
        form.ContainerPort = 0;

        Assert.True(Validate(form).ContainsKey("ContainerPort"));
    }

    [Fact]
    public void TheReviewFlagsReadWriteOnceWithSeveralReplicasAndARollingUpdate()
    {
        var spec = Applied(new VolumeSpec("data", "1Gi", "/data", null, VolumeAccessMode.ReadWriteOnce)) with { Replicas = 3 };

        var risks = SpecReview.Compare(null, spec, [], Staging).Risks.Select(r => r.Text).ToList();

        Assert.Contains(risks, r => r.Contains("3 replicas cannot all use it", StringComparison.Ordinal));
        Assert.Contains(risks, r => r.Contains("Use the Recreate strategy", StringComparison.Ordinal));
    }

    [Fact]
    public void RecreateWithOneReplicaRaisesNoVolumeFlag()
    {
        var spec = Applied(new VolumeSpec("data", "1Gi", "/data", null, VolumeAccessMode.ReadWriteOnce)) with { Strategy = new RolloutStrategySpec(RolloutStrategyKind.Recreate, null, null) };

        Assert.DoesNotContain(SpecReview.Compare(null, spec, [], Staging).Risks, r => r.Text.Contains("Volume", StringComparison.Ordinal));
    }

    [Fact]
    public void TheReviewFlagsAutoscalingOnAReadWriteOnceVolume()
    {
        var spec = Applied(new VolumeSpec("data", "1Gi", "/data", null, VolumeAccessMode.ReadWriteOnce)) with { Replicas = null, Autoscaling = new AutoscalingSpec(1, 5, 70, null) };

        Assert.Contains(SpecReview.Compare(null, spec, [], Staging).Risks, r => r.Text.Contains("autoscaler may run up to 5 pods", StringComparison.Ordinal));
    }

    [Fact]
    public void AReadWriteManyVolumeRaisesNoFlag()
    {
        var spec = Applied(new VolumeSpec("data", "1Gi", "/data", null, VolumeAccessMode.ReadWriteMany)) with { Replicas = 3 };

        Assert.DoesNotContain(SpecReview.Compare(null, spec, [], Staging).Risks, r => r.Text.Contains("Volume", StringComparison.Ordinal));
    }

    [Fact]
    public void ARemovedVolumeKeepsItsClaimAndTheReviewSaysSo()
    {
        var before = Applied(new VolumeSpec("data", "1Gi", "/data", null, VolumeAccessMode.ReadWriteMany));
        var after = before with { Volumes = null };

        var review = SpecReview.Compare(before, after, [], Staging);

        Assert.Contains(review.Changes, c => c.Text.Contains("volume data no longer mounted", StringComparison.Ordinal));
        Assert.Contains(review.Risks, r => r.Text.Contains("its data are kept", StringComparison.Ordinal));
    }
}
