using Portal.Catalog;
using Portal.Cluster;
using Portal.Requests;

namespace Portal.Tests.Workloads;

/// <summary>What ManifestBuilder makes of a worker and of persistent volumes.</summary>
public sealed class WorkloadManifestTests
{
    private static readonly DeploymentEnvironment Staging = new() { Name = "staging" };

    private static readonly RequestSpec Web = new()
    {
        ImageRepository = "registry.example.com/payments/api",
        ImageTag = "v2",
        Replicas = 1,
        Resources = new ResourceSpec("250m", "500m", "256Mi", "512Mi"),
        Readiness = ProbeSpec.Http("/ready", 8080),
        ContainerPort = 8080,
    };

    private static readonly RequestSpec Worker = Web with { Kind = ServiceKind.Worker, ContainerPort = 0, Readiness = null };

    private static Manifests Build(RequestSpec spec) =>
        ManifestBuilder.Build(new ManifestInput(42, "payments", "ledger", Staging, spec, new Dictionary<string, string>()));

    [Fact]
    public void AWorkerHasNoServiceObjectAndNoContainerPort()
    {
        var manifests = Build(Worker);

        Assert.Null(manifests.Service);
        Assert.DoesNotContain(manifests.All(), o => o.Kind == "Service");
        var container = Assert.Single(manifests.Deployment.Spec.Template.Spec.Containers);
        Assert.Null(container.Ports);
        Assert.Null(container.ReadinessProbe);
    }

    [Fact]
    public void AWorkerKeepsAnExecProbe()
    {
        var container = Build(Worker with { Liveness = ProbeSpec.Exec(["cat", "/tmp/alive"]) }).Deployment.Spec.Template.Spec.Containers[0];

        Assert.Equal(["cat", "/tmp/alive"], container.LivenessProbe.Exec.Command);
    }

    [Fact]
    public void AWebServiceStillHasItsServiceAndPort()
    {
        var manifests = Build(Web);

        Assert.Equal(8080, manifests.Service!.Spec.Ports[0].Port);
        Assert.Equal(8080, manifests.Deployment.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort);
        Assert.Empty(manifests.Claims);
        Assert.Null(manifests.Deployment.Spec.Template.Spec.Volumes);
    }

    [Fact]
    public void EachVolumeBecomesAClaimAppliedBeforeTheDeploymentAndMountedIntoThePod()
    {
        var spec = Worker with
        {
            Volumes =
            [
                new VolumeSpec("data", "10Gi", "/var/lib/data", null, VolumeAccessMode.ReadWriteOnce),
                new VolumeSpec("shared", "1Gi", "/srv/shared", "fast", VolumeAccessMode.ReadWriteMany),
            ],
        };

        var manifests = Build(spec);

        Assert.Equal(["ledger-data", "ledger-shared"], manifests.Claims.Select(c => c.Metadata.Name));
        var data = manifests.Claims[0];
        Assert.Equal("payments-staging", data.Metadata.NamespaceProperty);
        Assert.Equal("ledger", data.Metadata.Labels[ManifestBuilder.NameLabel]);
        Assert.Equal(ManifestBuilder.ManagedBy, data.Metadata.Labels[ManifestBuilder.ManagedByLabel]);
        Assert.Equal(["ReadWriteOnce"], data.Spec.AccessModes);
        Assert.Equal("10Gi", data.Spec.Resources.Requests["storage"].ToString());
        Assert.Null(data.Spec.StorageClassName);
        Assert.Equal("fast", manifests.Claims[1].Spec.StorageClassName);

        var order = manifests.All().Select(o => $"{o.Kind}/{o.Metadata.Name}").ToList();
        Assert.True(order.IndexOf("PersistentVolumeClaim/ledger-shared") < order.IndexOf("Deployment/ledger"), string.Join(", ", order));

        var pod = manifests.Deployment.Spec.Template.Spec;
        Assert.Equal(["ledger-data", "ledger-shared"], pod.Volumes.Select(v => v.PersistentVolumeClaim.ClaimName));
        Assert.Equal(["data:/var/lib/data", "shared:/srv/shared"], pod.Containers[0].VolumeMounts.Select(m => $"{m.Name}:{m.MountPath}"));
    }

    [Fact]
    public void TheDnsNameIsTheServiceInItsNamespaceWithItsPort()
    {
        Assert.Equal("payments-api.payments-staging.svc.cluster.local:8080", ManifestBuilder.DnsName("payments-api", Staging.NamespaceFor("payments"), 8080));
    }

    [Fact]
    public void AWebSpecWithoutVolumesWritesTheSameJsonAsBefore()
    {
        var json = Web.ToJson();

        Assert.DoesNotContain("kind", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("volumes", json, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"kind\":\"Worker\"", Worker.ToJson(), StringComparison.Ordinal);
        var withVolume = Worker with { Volumes = [new VolumeSpec("data", "1Gi", "/data", null, VolumeAccessMode.ReadWriteOnce)] };
        Assert.Equal(withVolume.ToJson(), RequestSpec.FromJson(withVolume.ToJson()).ToJson());
    }
}
