using System.Text;
using k8s.Models;
using Portal.Cluster;
using Portal.Requests;

namespace Portal.Tests.Cluster;

public sealed class ManifestBuilderTests
{
    private static readonly DeploymentEnvironment Staging = new() { Name = "staging", ProgressDeadlineSeconds = 120 };

    private static readonly RequestSpec Spec = new()
    {
        ImageRepository = "registry.example.com/payments/api",
        ImageTag = "v2",
        ImageDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        Replicas = 3,
        Resources = new ResourceSpec("250m", "500m", "256Mi", "512Mi"),
        EnvVars = [new EnvVarSpec("LOG_LEVEL", "info")],
        Secrets = [new SecretRef("DB_PASSWORD", 7)],
        Readiness = new ProbeSpec("/ready", 8080, 5),
        ContainerPort = 8080,
    };

    private static Manifests Build(RequestSpec spec) =>
        ManifestBuilder.Build(new ManifestInput(42, "payments", "payments-api", Staging, spec, new Dictionary<string, string> { ["DB_PASSWORD"] = "pw" }));

    [Fact]
    public void EveryObjectCarriesTheLabelsAndTheRequestId()
    {
        var manifests = Build(Spec);

        foreach (var o in manifests.All().Skip(1))
        {
            Assert.Equal("payments-staging", o.Metadata.NamespaceProperty);
            Assert.Equal("payments-api", o.Metadata.Labels["app.kubernetes.io/name"]);
            Assert.Equal("payments", o.Metadata.Labels["app.kubernetes.io/part-of"]);
            Assert.Equal("selfservice-portal", o.Metadata.Labels["app.kubernetes.io/managed-by"]);
            Assert.Equal("42", o.Metadata.Annotations["selfservice.portal/request-id"]);
            Assert.False(string.IsNullOrEmpty(o.ApiVersion));
            Assert.False(string.IsNullOrEmpty(o.Kind));
        }

        Assert.Equal("payments-staging", manifests.Namespace.Metadata.Name);
    }

    [Fact]
    public void DeploymentRunsThePinnedImageWithResourcesProbesAndEnvFrom()
    {
        var deployment = Build(Spec).Deployment;
        var container = Assert.Single(deployment.Spec.Template.Spec.Containers);

        Assert.Equal("registry.example.com/payments/api:v2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", container.Image);
        Assert.Equal(3, deployment.Spec.Replicas);
        Assert.Equal(120, deployment.Spec.ProgressDeadlineSeconds);
        Assert.Equal("500m", container.Resources.Limits["cpu"].ToString());
        Assert.Equal("256Mi", container.Resources.Requests["memory"].ToString());
        Assert.Equal("/ready", container.ReadinessProbe.HttpGet.Path);
        Assert.Null(container.LivenessProbe);
        Assert.Equal(["payments-api-env", "payments-api-secrets"], container.EnvFrom.Select(e => e.ConfigMapRef?.Name ?? e.SecretRef.Name));
    }

    [Fact]
    public void AutoscalingLeavesReplicasToTheHorizontalPodAutoscaler()
    {
        var manifests = Build(Spec with { Replicas = null, Autoscaling = new AutoscalingSpec(2, 8, 70, 80) });

        Assert.Null(manifests.Deployment.Spec.Replicas);
        var hpa = manifests.Autoscaler!;
        Assert.Equal(("autoscaling/v2", 2, 8, "payments-api"), (hpa.ApiVersion, hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas, hpa.Spec.ScaleTargetRef.Name));
        Assert.Equal([("cpu", 70), ("memory", 80)], hpa.Spec.Metrics.Select(m => (m.Resource.Name, m.Resource.Target.AverageUtilization!.Value)));
        Assert.Null(Build(Spec).Autoscaler);
    }

    [Fact]
    public void ChangingASecretValueChangesThePodTemplate()
    {
        var before = Build(Spec).Deployment.Spec.Template.Metadata.Annotations["selfservice.portal/secret-checksum"];
        var after = Build(Spec with { Secrets = [new SecretRef("DB_PASSWORD", 8)] }).Deployment.Spec.Template.Metadata.Annotations["selfservice.portal/secret-checksum"];
        var same = Build(Spec with { ImageTag = "v3" }).Deployment.Spec.Template.Metadata.Annotations["selfservice.portal/secret-checksum"];

        Assert.NotEqual(before, after);
        Assert.Equal(before, same);
    }

    [Fact]
    public void SecretHoldsTheValuesAndTheYamlViewRedactsThem()
    {
        var manifests = Build(Spec);

        Assert.Equal("pw", Encoding.UTF8.GetString(manifests.Secret!.Data["DB_PASSWORD"]));
        var yaml = ManifestBuilder.ToYaml(manifests);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("pw")), yaml);
        Assert.Contains("kind: Deployment", yaml);
        Assert.Null(Build(Spec with { Secrets = [] }).Secret);
    }

    [Fact]
    public void YamlViewPutsEachDocumentSeparatorOnALineOfItsOwn()
    {
        var yaml = ManifestBuilder.ToYaml(Build(Spec));

        var documents = yaml.Split("\n---\n");
        Assert.Equal(Build(Spec).All().Count(), documents.Length);
        Assert.All(documents, d => Assert.StartsWith("apiVersion: ", d));
    }

    [Fact]
    public void ServiceExposesTheContainerPortInsideTheCluster()
    {
        var service = Build(Spec).Service;

        Assert.Equal("ClusterIP", service.Spec.Type);
        Assert.Equal((8080, "8080"), (Assert.Single(service.Spec.Ports).Port, service.Spec.Ports[0].TargetPort.Value));
        Assert.Equal("payments-api", service.Spec.Selector["app.kubernetes.io/name"]);
    }
}
