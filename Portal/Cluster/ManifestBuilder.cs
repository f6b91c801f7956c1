using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Portal.Requests;

namespace Portal.Cluster;

/// <summary>Everything the manifests of one request are made from. Secret values are plaintext here and nowhere else.</summary>
public sealed record ManifestInput(
    int RequestId,
    string Team,
    string Service,
    DeploymentEnvironment Environment,
    RequestSpec Spec,
    IReadOnlyDictionary<string, string> SecretValues);

/// <summary>The objects one request applies, in apply order.</summary>
public sealed record Manifests(
    V1Namespace Namespace,
    V1ConfigMap ConfigMap,
    V1Secret? Secret,
    V1Deployment Deployment,
    V1Service? Service,
    V2HorizontalPodAutoscaler? Autoscaler)
{
    /// <summary>One PersistentVolumeClaim per volume of the request, applied before the Deployment that mounts them.</summary>
    public IReadOnlyList<V1PersistentVolumeClaim> Claims { get; init; } = [];

    public V1PodDisruptionBudget? DisruptionBudget { get; init; }

    public V1Ingress? Ingress { get; init; }

    public IEnumerable<IKubernetesObject<V1ObjectMeta>> All()
    {
        yield return Namespace;
        yield return ConfigMap;
        if (Secret is not null)
        {
            yield return Secret;
        }

        foreach (var claim in Claims)
        {
            yield return claim;
        }

        yield return Deployment;
        if (Service is not null)
        {
            yield return Service;
        }

        if (Autoscaler is not null)
        {
            yield return Autoscaler;
        }

        if (DisruptionBudget is not null)
        {
            yield return DisruptionBudget;
        }

        if (Ingress is not null)
        {
            yield return Ingress;
        }
    }
}

/// <summary>Renders a deployment request as the Kubernetes objects the portal applies with server-side apply.</summary>
public static class ManifestBuilder
{
    public const string ManagedBy = "selfservice-portal";
    public const string NameLabel = "app.kubernetes.io/name";
    public const string PartOfLabel = "app.kubernetes.io/part-of";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string EnvironmentLabel = "selfservice.portal/environment";
    public const string RequestAnnotation = "selfservice.portal/request-id";
    public const string SecretChecksumAnnotation = "selfservice.portal/secret-checksum";
    public const string ClusterIssuerAnnotation = "cert-manager.io/cluster-issuer";

    public static string ConfigMapName(string service) => $"{service}-env";

    public static string SecretName(string service) => $"{service}-secrets";

    /// <summary>The PersistentVolumeClaim of one volume; the pod's volume has the volume's own name.</summary>
    public static string ClaimName(string service, string volume) => $"{service}-{volume}";

    /// <summary>The in-cluster address other pods reach a web service at: the Service's DNS name and port.</summary>
    public static string DnsName(string service, string ns, int port) => $"{service}.{ns}.svc.cluster.local:{port}";

    public static Manifests Build(ManifestInput input)
    {
        var ns = input.Environment.NamespaceFor(input.Team);
        var labels = Labels(input);
        var annotations = new Dictionary<string, string> { [RequestAnnotation] = input.RequestId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        V1ObjectMeta Meta(string name) => new() { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string>(labels), Annotations = new Dictionary<string, string>(annotations) };

        var spec = input.Spec;
        var configMap = new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = Meta(ConfigMapName(input.Service)),
            Data = spec.EnvVars.ToDictionary(e => e.Name, e => e.Value),
        };
        var secret = spec.Secrets.Count == 0 ? null : new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = Meta(SecretName(input.Service)),
            Type = "Opaque",
            Data = spec.Secrets.ToDictionary(s => s.Key, s => Encoding.UTF8.GetBytes(input.SecretValues[s.Key])),
        };

        var worker = spec.Kind == Catalog.ServiceKind.Worker;
        var volumes = spec.Volumes ?? [];
        var container = new V1Container
        {
            Name = input.Service,
            Image = spec.Image,
            // A worker listens on nothing: no port, and no Service object below.
            Ports = worker ? null : [new V1ContainerPort { Name = "http", ContainerPort = spec.ContainerPort, Protocol = "TCP" }],
            Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(spec.Resources.CpuRequest), ["memory"] = new(spec.Resources.MemoryRequest) },
                Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(spec.Resources.CpuLimit), ["memory"] = new(spec.Resources.MemoryLimit) },
            },
            EnvFrom = EnvFrom(input),
            ReadinessProbe = Probe(spec.Readiness),
            LivenessProbe = Probe(spec.Liveness),
            StartupProbe = Probe(spec.Startup),
            VolumeMounts = volumes.Count == 0 ? null : [.. volumes.Select(v => new V1VolumeMount { Name = v.Name, MountPath = v.MountPath, ReadOnlyProperty = v.AccessMode == VolumeAccessMode.ReadOnlyMany ? true : null })],
        };

        var podAnnotations = new Dictionary<string, string>(annotations) { [SecretChecksumAnnotation] = SecretChecksum(spec) };
        var deployment = new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Meta(input.Service),
            Spec = new V1DeploymentSpec
            {
                // With autoscaling the HPA owns the count: leaving the field out keeps a later apply from resetting it.
                Replicas = spec.Autoscaling is null ? spec.Replicas : null,
                ProgressDeadlineSeconds = input.Environment.ProgressDeadlineSeconds,
                Strategy = Strategy(spec.Strategy),
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [NameLabel] = input.Service } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(labels), Annotations = podAnnotations },
                    Spec = new V1PodSpec
                    {
                        Containers = [container],
                        Volumes = volumes.Count == 0 ? null : [.. volumes.Select(v => new V1Volume
                        {
                            Name = v.Name,
                            PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = ClaimName(input.Service, v.Name) },
                        })],
                    },
                },
            },
        };

        var service = worker ? null : new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = Meta(input.Service),
            Spec = new V1ServiceSpec
            {
                Type = "ClusterIP",
                Selector = new Dictionary<string, string> { [NameLabel] = input.Service },
                Ports = [new V1ServicePort { Name = "http", Port = spec.ContainerPort, TargetPort = spec.ContainerPort, Protocol = "TCP" }],
            },
        };

        return new Manifests(
            new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = ns, Labels = new Dictionary<string, string> { [ManagedByLabel] = ManagedBy, [PartOfLabel] = input.Team } } },
            configMap,
            secret,
            deployment,
            service,
            spec.Autoscaling is { } hpa ? Autoscaler(input, Meta(input.Service), hpa) : null)
        {
            Claims = [.. volumes.Select(v => Claim(Meta(ClaimName(input.Service, v.Name)), v))],
            DisruptionBudget = spec.DisruptionBudget is { } budget ? DisruptionBudget(input, Meta(input.Service), budget) : null,
            Ingress = spec.Ingress is { } ingress ? Ingress(input, Meta(input.Service), ingress) : null,
        };
    }

    /// <summary>
    /// Changes exactly when a secret value changes (each new value gets a new id), so a secret change rolls the pods;
    /// built from key names and value ids, it tells nothing about the values themselves.
    /// </summary>
    public static string SecretChecksum(RequestSpec spec)
    {
        var text = string.Join('\n', spec.Secrets.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.ValueId}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    public static string ToYaml(Manifests manifests) =>
        string.Join("---\n", manifests.All().Select(o => KubernetesYaml.Serialize(o is V1Secret s ? Redacted(s) : o)).Select(yaml => yaml.EndsWith('\n') ? yaml : yaml + "\n"));

    private static V1Secret Redacted(V1Secret secret) => new()
    {
        ApiVersion = secret.ApiVersion,
        Kind = secret.Kind,
        Metadata = secret.Metadata,
        Type = secret.Type,
        // As stringData, so the manifest reads "(redacted)" rather than the base64 of that word.
        StringData = secret.Data?.ToDictionary(d => d.Key, _ => "(redacted)"),
    };

    private static Dictionary<string, string> Labels(ManifestInput input) => new()
    {
        [NameLabel] = input.Service,
        [PartOfLabel] = input.Team,
        [ManagedByLabel] = ManagedBy,
        [EnvironmentLabel] = input.Environment.Name,
    };

    private static List<V1EnvFromSource> EnvFrom(ManifestInput input)
    {
        var sources = new List<V1EnvFromSource> { new() { ConfigMapRef = new V1ConfigMapEnvSource { Name = ConfigMapName(input.Service) } } };
        if (input.Spec.Secrets.Count > 0)
        {
            sources.Add(new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = SecretName(input.Service) } });
        }

        return sources;
    }

    private static V1Probe? Probe(ProbeSpec? probe) => probe is null ? null : new V1Probe
    {
        HttpGet = probe.Kind == ProbeKind.Http ? new V1HTTPGetAction { Path = probe.Path, Port = probe.Port } : null,
        TcpSocket = probe.Kind == ProbeKind.Tcp ? new V1TCPSocketAction { Port = probe.Port } : null,
        Exec = probe.Kind == ProbeKind.Exec ? new V1ExecAction { Command = [.. probe.Command ?? []] } : null,
        InitialDelaySeconds = probe.InitialDelaySeconds,
        PeriodSeconds = probe.PeriodSeconds,
        TimeoutSeconds = probe.TimeoutSeconds,
        SuccessThreshold = probe.SuccessThreshold,
        FailureThreshold = probe.FailureThreshold,
    };

    /// <summary>Null leaves the strategy to Kubernetes' default (rolling, 25 %/25 %), as before the field existed.</summary>
    private static V1DeploymentStrategy? Strategy(RolloutStrategySpec? strategy) => strategy switch
    {
        null => null,
        { Type: RolloutStrategyKind.Recreate } => new V1DeploymentStrategy { Type = "Recreate" },
        _ => new V1DeploymentStrategy
        {
            Type = "RollingUpdate",
            RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = IntOrString(strategy.MaxSurge), MaxUnavailable = IntOrString(strategy.MaxUnavailable) },
        },
    };

    /// <summary>"25%" stays a string; "1" becomes the number 1, as the API server stores it.</summary>
    private static IntOrString? IntOrString(string? value) =>
        value is null ? null : int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) ? (IntOrString)number : (IntOrString)value;

    /// <summary>
    /// A claim of the volume's size and access mode; no storage class means the cluster's default. A claim the request no
    /// longer lists is left in the cluster (its data), never deleted by an apply.
    /// </summary>
    private static V1PersistentVolumeClaim Claim(V1ObjectMeta meta, VolumeSpec volume) => new()
    {
        ApiVersion = "v1",
        Kind = "PersistentVolumeClaim",
        Metadata = meta,
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = [volume.AccessMode.ToString()],
            StorageClassName = volume.StorageClass,
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(volume.Size) } },
        },
    };

    private static V1PodDisruptionBudget DisruptionBudget(ManifestInput input, V1ObjectMeta meta, DisruptionBudgetSpec budget) => new()
    {
        ApiVersion = "policy/v1",
        Kind = "PodDisruptionBudget",
        Metadata = meta,
        Spec = new V1PodDisruptionBudgetSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [NameLabel] = input.Service } },
            MinAvailable = IntOrString(budget.MinAvailable),
            MaxUnavailable = IntOrString(budget.MaxUnavailable),
        },
    };

    private static V1Ingress Ingress(ManifestInput input, V1ObjectMeta meta, IngressSpec ingress)
    {
        if (ingress.ClusterIssuer is { } issuer)
        {
            meta.Annotations[ClusterIssuerAnnotation] = issuer;
        }

        return new V1Ingress
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "Ingress",
            Metadata = meta,
            Spec = new V1IngressSpec
            {
                IngressClassName = ingress.ClassName,
                Tls = ingress.TlsSecretName is { } tls ? [new V1IngressTLS { Hosts = [ingress.Host], SecretName = tls }] : null,
                Rules =
                [
                    new V1IngressRule
                    {
                        Host = ingress.Host,
                        Http = new V1HTTPIngressRuleValue
                        {
                            Paths =
                            [
                                new V1HTTPIngressPath
                                {
                                    Path = ingress.Path,
                                    PathType = ingress.PathType.ToString(),
                                    Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = input.Service, Port = new V1ServiceBackendPort { Name = "http" } } },
                                },
                            ],
                        },
                    },
                ],
            },
        };
    }

    private static V2HorizontalPodAutoscaler Autoscaler(ManifestInput input, V1ObjectMeta meta, AutoscalingSpec hpa)
    {
        var metrics = new List<V2MetricSpec>
        {
            new() { Type = "Resource", Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = hpa.CpuTargetPercent } } },
        };
        if (hpa.MemoryTargetPercent is { } memory)
        {
            metrics.Add(new V2MetricSpec { Type = "Resource", Resource = new V2ResourceMetricSource { Name = "memory", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = memory } } });
        }

        return new V2HorizontalPodAutoscaler
        {
            ApiVersion = "autoscaling/v2",
            Kind = "HorizontalPodAutoscaler",
            Metadata = meta,
            Spec = new V2HorizontalPodAutoscalerSpec
            {
                ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = input.Service },
                MinReplicas = hpa.MinReplicas,
                MaxReplicas = hpa.MaxReplicas,
                Metrics = metrics,
            },
        };
    }
}
