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
        var service = Build(Spec).Service!;

        Assert.Equal("ClusterIP", service.Spec.Type);
        Assert.Equal((8080, "8080"), (Assert.Single(service.Spec.Ports).Port, service.Spec.Ports[0].TargetPort.Value));
        Assert.Equal("payments-api", service.Spec.Selector["app.kubernetes.io/name"]);
    }
}

public sealed class ManifestBuilderShapeTests
{
    private static readonly DeploymentEnvironment Staging = new() { Name = "staging" };

    private static readonly RequestSpec Spec = new()
    {
        ImageRepository = "registry.example.com/payments/api",
        ImageTag = "v2",
        Replicas = 3,
        Resources = new ResourceSpec("250m", "500m", "256Mi", "512Mi"),
        ContainerPort = 8080,
    };

    private static Manifests Build(RequestSpec spec) =>
        ManifestBuilder.Build(new ManifestInput(42, "payments", "payments-api", Staging, spec, new Dictionary<string, string>()));

    [Fact]
    public void WithoutTheNewFieldsTheManifestsAreAsBefore()
    {
        var manifests = Build(Spec);

        Assert.Null(manifests.Deployment.Spec.Strategy);
        Assert.Null(manifests.Ingress);
        Assert.Null(manifests.DisruptionBudget);
        Assert.Null(manifests.Deployment.Spec.Template.Spec.Containers[0].StartupProbe);
        Assert.DoesNotContain(manifests.All(), o => o is V1Ingress or V1PodDisruptionBudget);
    }

    [Fact]
    public void TheIngressRoutesTheHostAndPathToTheServicePortWithTlsIssuerAndClass()
    {
        var manifests = Build(Spec with { Ingress = new IngressSpec("shop.example.com", "/api", IngressPathType.Exact, "shop-tls", "letsencrypt", "nginx") });
        var ingress = manifests.Ingress!;
        var path = Assert.Single(Assert.Single(ingress.Spec.Rules).Http.Paths);

        Assert.Equal(("networking.k8s.io/v1", "Ingress", "payments-api", "payments-staging"), (ingress.ApiVersion, ingress.Kind, ingress.Metadata.Name, ingress.Metadata.NamespaceProperty));
        Assert.Equal("shop.example.com", ingress.Spec.Rules[0].Host);
        Assert.Equal(("/api", "Exact", "payments-api", "http"), (path.Path, path.PathType, path.Backend.Service.Name, path.Backend.Service.Port.Name));
        Assert.Equal(["shop.example.com"], Assert.Single(ingress.Spec.Tls).Hosts);
        Assert.Equal("shop-tls", ingress.Spec.Tls[0].SecretName);
        Assert.Equal("letsencrypt", ingress.Metadata.Annotations["cert-manager.io/cluster-issuer"]);
        Assert.Equal("nginx", ingress.Spec.IngressClassName);
        Assert.Contains(ingress, manifests.All());
        Assert.Contains("kind: Ingress", ManifestBuilder.ToYaml(manifests));
        Assert.False(manifests.Deployment.Metadata.Annotations.ContainsKey("cert-manager.io/cluster-issuer"));
    }

    [Fact]
    public void AnIngressWithoutTlsHasNoTlsSectionNorIssuer()
    {
        var ingress = Build(Spec with { Ingress = new IngressSpec("*.example.com", "/", IngressPathType.Prefix, null, null, null) }).Ingress!;

        Assert.Null(ingress.Spec.Tls);
        Assert.Null(ingress.Spec.IngressClassName);
        Assert.False(ingress.Metadata.Annotations.ContainsKey("cert-manager.io/cluster-issuer"));
        Assert.Equal("Prefix", ingress.Spec.Rules[0].Http.Paths[0].PathType);
    }

    [Theory]
    [InlineData("1", null, "Int", "1")]
    [InlineData("50%", null, "String", "50%")]
    [InlineData(null, "0", "Int", "0")]
    [InlineData(null, "25%", "String", "25%")]
    public void ThePodDisruptionBudgetSelectsTheServicePodsWithANumberOrPercent(string? minAvailable, string? maxUnavailable, string kind, string value)
    {
        var budget = Build(Spec with { DisruptionBudget = new DisruptionBudgetSpec(minAvailable, maxUnavailable) }).DisruptionBudget!;
        var set = minAvailable is not null ? budget.Spec.MinAvailable : budget.Spec.MaxUnavailable;

        Assert.Equal(("policy/v1", "PodDisruptionBudget"), (budget.ApiVersion, budget.Kind));
        Assert.Equal("payments-api", budget.Spec.Selector.MatchLabels["app.kubernetes.io/name"]);
        Assert.Null(minAvailable is not null ? budget.Spec.MaxUnavailable : budget.Spec.MinAvailable);
        Assert.Equal(value, set.Value);
        // A number is a JSON number and a percent a string, as the API server stores them.
        var field = minAvailable is not null ? "minAvailable" : "maxUnavailable";
        Assert.Contains(kind == "Int" ? $"\"{field}\":{value}" : $"\"{field}\":\"{value}\"", k8s.KubernetesJson.Serialize(budget.Spec));
    }

    [Fact]
    public void TheStrategyIsRollingWithSurgeAndUnavailableOrRecreate()
    {
        var rolling = Build(Spec with { Strategy = new RolloutStrategySpec(RolloutStrategyKind.RollingUpdate, "1", "0") }).Deployment.Spec.Strategy;
        var recreate = Build(Spec with { Strategy = new RolloutStrategySpec(RolloutStrategyKind.Recreate, null, null) }).Deployment.Spec.Strategy;

        Assert.Equal(("RollingUpdate", "1", "0"), (rolling.Type, rolling.RollingUpdate.MaxSurge.Value, rolling.RollingUpdate.MaxUnavailable.Value));
        Assert.Equal("Recreate", recreate.Type);
        Assert.Null(recreate.RollingUpdate);
    }

    [Fact]
    public void ProbesAreHttpTcpOrExecWithTheirTimings()
    {
        var container = Build(Spec with
        {
            Readiness = ProbeSpec.Http("/ready", 8080, 2) with { PeriodSeconds = 5, TimeoutSeconds = 2, SuccessThreshold = 2, FailureThreshold = 4 },
            Liveness = ProbeSpec.Tcp(8081, 10),
            Startup = ProbeSpec.Exec(["cat", "/tmp/started"]) with { FailureThreshold = 60 },
        }).Deployment.Spec.Template.Spec.Containers[0];

        Assert.Equal(("/ready", "8080", 2, 5, 2, 2, 4), (container.ReadinessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Port.Value, container.ReadinessProbe.InitialDelaySeconds,
            container.ReadinessProbe.PeriodSeconds, container.ReadinessProbe.TimeoutSeconds, container.ReadinessProbe.SuccessThreshold, container.ReadinessProbe.FailureThreshold));
        Assert.Null(container.ReadinessProbe.TcpSocket);
        Assert.Equal("8081", container.LivenessProbe.TcpSocket.Port.Value);
        Assert.Null(container.LivenessProbe.HttpGet);
        Assert.Null(container.LivenessProbe.PeriodSeconds);
        Assert.Equal(["cat", "/tmp/started"], container.StartupProbe.Exec.Command);
        Assert.Null(container.StartupProbe.HttpGet);
        Assert.Equal(60, container.StartupProbe.FailureThreshold);
    }
}
