namespace Portal.Requests;

/// <summary>
/// What a user edits: the whole desired state in form terms, pre-filled from the current revision. The form and the
/// API both end here and are validated by <see cref="RequestValidator"/>, so both say the same thing.
/// </summary>
public sealed class RequestForm
{
    public string ImageTag { get; set; } = "";

    public string? ImageDigest { get; set; }

    public bool Autoscaling { get; set; }

    public int Replicas { get; set; } = 2;

    public int MinReplicas { get; set; } = 2;

    public int MaxReplicas { get; set; } = 4;

    public int CpuTargetPercent { get; set; } = 70;

    public int? MemoryTargetPercent { get; set; }

    public string CpuRequest { get; set; } = ResourcePreset.Medium.CpuRequest;

    public string CpuLimit { get; set; } = ResourcePreset.Medium.CpuLimit;

    public string MemoryRequest { get; set; } = ResourcePreset.Medium.MemoryRequest;

    public string MemoryLimit { get; set; } = ResourcePreset.Medium.MemoryLimit;

    public List<EnvVarRow> EnvVars { get; set; } = [];

    public List<SecretRow> Secrets { get; set; } = [];

    public bool ReadinessEnabled { get; set; } = true;

    public string ReadinessPath { get; set; } = "/healthz";

    public int ReadinessPort { get; set; } = 8080;

    public int ReadinessInitialDelaySeconds { get; set; } = 5;

    public bool LivenessEnabled { get; set; }

    public string LivenessPath { get; set; } = "/healthz";

    public int LivenessPort { get; set; } = 8080;

    public int LivenessInitialDelaySeconds { get; set; } = 15;

    public int ContainerPort { get; set; } = 8080;

    public string? Comment { get; set; }

    /// <summary>Why an Admin submits during a freeze window; ignored when no freeze is in force.</summary>
    public string? BreakGlassReason { get; set; }

    /// <summary>The request in the previous environment whose spec this form was pre-filled from (promotion).</summary>
    public int? PromotedFromRequestId { get; set; }

    /// <summary>A first deploy: sensible defaults for the service, capped by the environment.</summary>
    public static RequestForm FirstDeploy(int containerPort, int environmentMaxReplicas) => new()
    {
        ContainerPort = containerPort,
        ReadinessPort = containerPort,
        LivenessPort = containerPort,
        Replicas = Math.Min(2, environmentMaxReplicas),
        MinReplicas = Math.Min(2, environmentMaxReplicas),
        MaxReplicas = Math.Min(4, environmentMaxReplicas),
    };

    /// <summary>The form for a change on top of <paramref name="current"/>: every field as it is now, secrets kept.</summary>
    public static RequestForm From(RequestSpec current, IReadOnlyDictionary<int, SecretValueInfo> secretInfo) => new()
    {
        ImageTag = current.ImageTag,
        Autoscaling = current.Autoscaling is not null,
        Replicas = current.Replicas ?? current.Autoscaling?.MinReplicas ?? 1,
        MinReplicas = current.Autoscaling?.MinReplicas ?? Math.Max(1, current.Replicas ?? 1),
        MaxReplicas = current.Autoscaling?.MaxReplicas ?? Math.Max(1, current.Replicas ?? 1),
        CpuTargetPercent = current.Autoscaling?.CpuTargetPercent ?? 70,
        MemoryTargetPercent = current.Autoscaling?.MemoryTargetPercent,
        CpuRequest = current.Resources.CpuRequest,
        CpuLimit = current.Resources.CpuLimit,
        MemoryRequest = current.Resources.MemoryRequest,
        MemoryLimit = current.Resources.MemoryLimit,
        EnvVars = [.. current.EnvVars.Select(e => new EnvVarRow { Name = e.Name, Value = e.Value })],
        Secrets = [.. current.Secrets.Select(s => new SecretRow
        {
            Key = s.Key,
            Existing = true,
            SetBy = secretInfo.TryGetValue(s.ValueId, out var info) ? info.SetBy : "",
            SetAt = secretInfo.TryGetValue(s.ValueId, out var at) ? at.SetAt : null,
        })],
        ReadinessEnabled = current.Readiness is not null,
        ReadinessPath = current.Readiness?.Path ?? "/healthz",
        ReadinessPort = current.Readiness?.Port ?? current.ContainerPort,
        ReadinessInitialDelaySeconds = current.Readiness?.InitialDelaySeconds ?? 5,
        LivenessEnabled = current.Liveness is not null,
        LivenessPath = current.Liveness?.Path ?? "/healthz",
        LivenessPort = current.Liveness?.Port ?? current.ContainerPort,
        LivenessInitialDelaySeconds = current.Liveness?.InitialDelaySeconds ?? 15,
        ContainerPort = current.ContainerPort,
    };

    /// <summary>
    /// The form as a spec: the one mapping back from <see cref="From"/>. Secret keys kept from the current revision keep
    /// their value ids (<paramref name="keptSecretIds"/>); keys with a new value get <paramref name="newValueId"/>.
    /// </summary>
    public RequestSpec ToSpec(string imageRepository, string? imageDigest, IReadOnlyDictionary<string, int> keptSecretIds, Func<string, int> newValueId) => new()
    {
        ImageRepository = imageRepository,
        ImageTag = ImageTag.Trim(),
        ImageDigest = imageDigest,
        Replicas = Autoscaling ? null : Replicas,
        Autoscaling = Autoscaling ? new AutoscalingSpec(MinReplicas, MaxReplicas, CpuTargetPercent, MemoryTargetPercent) : null,
        Resources = new ResourceSpec(CpuRequest.Trim(), CpuLimit.Trim(), MemoryRequest.Trim(), MemoryLimit.Trim()),
        EnvVars = [.. EnvVars.Select(e => new EnvVarSpec(e.Name, e.Value ?? ""))],
        Secrets = [.. Secrets
            .Where(r => !r.Remove)
            .Select(r => new SecretRef(r.Key, r.NewValue is { Length: > 0 } ? newValueId(r.Key) : keptSecretIds[r.Key]))
            .OrderBy(s => s.Key, StringComparer.Ordinal)],
        Readiness = ReadinessEnabled ? new ProbeSpec(ReadinessPath, ReadinessPort, ReadinessInitialDelaySeconds) : null,
        Liveness = LivenessEnabled ? new ProbeSpec(LivenessPath, LivenessPort, LivenessInitialDelaySeconds) : null,
        ContainerPort = ContainerPort,
    };

    public void ApplyPreset(ResourcePreset preset)
    {
        CpuRequest = preset.CpuRequest;
        CpuLimit = preset.CpuLimit;
        MemoryRequest = preset.MemoryRequest;
        MemoryLimit = preset.MemoryLimit;
    }

    /// <summary>The preset the four resource fields match, or null for custom values.</summary>
    public ResourcePreset? MatchingPreset() => ResourcePreset.All.FirstOrDefault(p =>
        p.CpuRequest == CpuRequest && p.CpuLimit == CpuLimit && p.MemoryRequest == MemoryRequest && p.MemoryLimit == MemoryLimit);
}

public sealed class EnvVarRow
{
    public string Name { get; set; } = "";

    public string Value { get; set; } = "";
}

/// <summary>
/// One secret key in the form. An existing key is kept unless <see cref="Remove"/> is set or a <see cref="NewValue"/> is
/// typed; a new key needs a value. Values are write-only: the form never shows a stored one.
/// </summary>
public sealed class SecretRow
{
    public string Key { get; set; } = "";

    public bool Existing { get; set; }

    public bool Remove { get; set; }

    public string? NewValue { get; set; }

    public string SetBy { get; set; } = "";

    public DateTimeOffset? SetAt { get; set; }
}

public sealed record SecretValueInfo(string Key, string SetBy, DateTimeOffset SetAt);

public sealed record ResourcePreset(string Name, string CpuRequest, string CpuLimit, string MemoryRequest, string MemoryLimit)
{
    public static readonly ResourcePreset Small = new("S", "100m", "250m", "128Mi", "256Mi");
    public static readonly ResourcePreset Medium = new("M", "250m", "500m", "256Mi", "512Mi");
    public static readonly ResourcePreset Large = new("L", "500m", "1", "512Mi", "1Gi");

    public static IReadOnlyList<ResourcePreset> All { get; } = [Small, Medium, Large];
}
