using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Requests;

/// <summary>
/// The whole desired state of one service in one environment. Immutable once a request is submitted; secret values are
/// referenced by id (their encrypted rows), never carried here.
/// </summary>
public sealed record RequestSpec
{
    public required string ImageRepository { get; init; }

    public required string ImageTag { get; init; }

    /// <summary>The digest the tag resolved to when the request was submitted, when known.</summary>
    public string? ImageDigest { get; init; }

    /// <summary>Fixed replica count; null when autoscaling owns it.</summary>
    public int? Replicas { get; init; }

    public AutoscalingSpec? Autoscaling { get; init; }

    public required ResourceSpec Resources { get; init; }

    public IReadOnlyList<EnvVarSpec> EnvVars { get; init; } = [];

    /// <summary>Every secret key of the desired state, with the id of the encrypted value it uses.</summary>
    public IReadOnlyList<SecretRef> Secrets { get; init; } = [];

    public ProbeSpec? Readiness { get; init; }

    public ProbeSpec? Liveness { get; init; }

    public int ContainerPort { get; init; }

    // The fields below came later: each is left out of the JSON when unset, so that a spec stored before them reads, hashes
    // and compares exactly as it did, and unset means what Kubernetes does without it.

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ProbeSpec? Startup { get; init; }

    /// <summary>How the Deployment replaces its pods; null is Kubernetes' default (rolling, 25 % surge, 25 % unavailable).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RolloutStrategySpec? Strategy { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DisruptionBudgetSpec? DisruptionBudget { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IngressSpec? Ingress { get; init; }

    /// <summary>A worker has no port and no Service object; left out of the JSON for a web service, as before.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public Catalog.ServiceKind Kind { get; init; }

    /// <summary>Persistent volumes, one PersistentVolumeClaim each; null (left out of the JSON) when the service has none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<VolumeSpec>? Volumes { get; init; }

    public string Image => ImageDigest is null ? $"{ImageRepository}:{ImageTag}" : $"{ImageRepository}:{ImageTag}@{ImageDigest}";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RequestSpec FromJson(string json) => JsonSerializer.Deserialize<RequestSpec>(json, Json)
        ?? throw new InvalidOperationException("A stored request spec is empty.");

    /// <summary>SHA-256 of the canonical JSON: an approval is bound to this exact value.</summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())));

    public bool Equivalent(RequestSpec other) => ToJson() == other.ToJson();
}

public sealed record AutoscalingSpec(int MinReplicas, int MaxReplicas, int CpuTargetPercent, int? MemoryTargetPercent);

public sealed record ResourceSpec(string CpuRequest, string CpuLimit, string MemoryRequest, string MemoryLimit);

public sealed record EnvVarSpec(string Name, string Value);

public sealed record SecretRef(string Key, int ValueId);

/// <summary>
/// A probe. Stored probes from before TCP and exec are HTTP probes with Kubernetes' default timing: the later fields are
/// left out of the JSON when they hold their default, so such a probe still reads and writes the same JSON.
/// </summary>
/// <param name="Path">The HTTP path; empty for TCP and exec probes.</param>
/// <param name="Port">The HTTP or TCP port; 0 for exec probes.</param>
public sealed record ProbeSpec(string Path, int Port, int InitialDelaySeconds)
{
    public const int DefaultPeriodSeconds = 10;
    public const int DefaultTimeoutSeconds = 1;
    public const int DefaultSuccessThreshold = 1;
    public const int DefaultFailureThreshold = 3;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ProbeKind Kind { get; init; }

    /// <summary>The command of an exec probe, one argument per item.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>Null: Kubernetes' default (<see cref="DefaultPeriodSeconds"/>); the same for the other timings.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? PeriodSeconds { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? TimeoutSeconds { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? SuccessThreshold { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? FailureThreshold { get; init; }

    public static ProbeSpec Http(string path, int port, int initialDelaySeconds = 0) => new(path, port, initialDelaySeconds);

    public static ProbeSpec Tcp(int port, int initialDelaySeconds = 0) => new("", port, initialDelaySeconds) { Kind = ProbeKind.Tcp };

    public static ProbeSpec Exec(IReadOnlyList<string> command, int initialDelaySeconds = 0) => new("", 0, initialDelaySeconds) { Kind = ProbeKind.Exec, Command = command };

    /// <summary>The probe in a few words, as the review and summaries show it.</summary>
    public string Describe()
    {
        var what = Kind switch
        {
            ProbeKind.Tcp => $"TCP port {Port}",
            ProbeKind.Exec => $"exec {string.Join(' ', Command ?? [])}",
            _ => $"GET {Path} on port {Port}",
        };
        return $"{what}, after {InitialDelaySeconds}s, every {PeriodSeconds ?? DefaultPeriodSeconds}s, timeout {TimeoutSeconds ?? DefaultTimeoutSeconds}s, " +
            $"{SuccessThreshold ?? DefaultSuccessThreshold} success / {FailureThreshold ?? DefaultFailureThreshold} failures";
    }

    // A record compares lists by reference; two probes with the same command are the same probe.
    public bool Equals(ProbeSpec? other) =>
        other is not null && Path == other.Path && Port == other.Port && InitialDelaySeconds == other.InitialDelaySeconds && Kind == other.Kind
        && (Command ?? []).SequenceEqual(other.Command ?? []) && PeriodSeconds == other.PeriodSeconds && TimeoutSeconds == other.TimeoutSeconds
        && SuccessThreshold == other.SuccessThreshold && FailureThreshold == other.FailureThreshold;

    public override int GetHashCode() => HashCode.Combine(Path, Port, InitialDelaySeconds, Kind, Command?.Count, PeriodSeconds, FailureThreshold);
}

[JsonConverter(typeof(JsonStringEnumConverter<ProbeKind>))]
public enum ProbeKind
{
    Http,
    Tcp,
    Exec,
}

[JsonConverter(typeof(JsonStringEnumConverter<RolloutStrategyKind>))]
public enum RolloutStrategyKind
{
    RollingUpdate,
    Recreate,
}

/// <summary>The Deployment's strategy. Surge and unavailable are a number of pods ("1") or a percent ("25%").</summary>
public sealed record RolloutStrategySpec(RolloutStrategyKind Type, string? MaxSurge, string? MaxUnavailable)
{
    public const string DefaultMaxSurge = "25%";
    public const string DefaultMaxUnavailable = "25%";
}

/// <summary>A PodDisruptionBudget: exactly one of the two, a number of pods ("1") or a percent ("50%").</summary>
public sealed record DisruptionBudgetSpec(string? MinAvailable, string? MaxUnavailable);

[JsonConverter(typeof(JsonStringEnumConverter<IngressPathType>))]
public enum IngressPathType
{
    Prefix,
    Exact,
    ImplementationSpecific,
}

/// <summary>
/// External access through an Ingress to the service's port. TLS from <paramref name="TlsSecretName"/>, which cert-manager
/// fills when <paramref name="ClusterIssuer"/> is given.
/// </summary>
public sealed record IngressSpec(string Host, string Path, IngressPathType PathType, string? TlsSecretName, string? ClusterIssuer, string? ClassName);

[JsonConverter(typeof(JsonStringEnumConverter<VolumeAccessMode>))]
public enum VolumeAccessMode
{
    ReadWriteOnce,
    ReadOnlyMany,
    ReadWriteMany,
    ReadWriteOncePod,
}

/// <summary>
/// A persistent volume of the service: a PersistentVolumeClaim named <c>{service}-{Name}</c>, mounted at
/// <paramref name="MountPath"/>. The size is a Kubernetes quantity ("10Gi"); it may grow but never shrink. A null
/// <paramref name="StorageClass"/> takes the cluster's default class.
/// </summary>
public sealed record VolumeSpec(string Name, string Size, string MountPath, string? StorageClass, VolumeAccessMode AccessMode);
