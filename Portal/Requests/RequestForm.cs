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

    public ProbeKind ReadinessKind { get; set; }

    /// <summary>An exec probe's command, one argument per line; the same for the other probes.</summary>
    public string ReadinessCommand { get; set; } = "";

    public int ReadinessPeriodSeconds { get; set; } = ProbeSpec.DefaultPeriodSeconds;

    public int ReadinessTimeoutSeconds { get; set; } = ProbeSpec.DefaultTimeoutSeconds;

    public int ReadinessSuccessThreshold { get; set; } = ProbeSpec.DefaultSuccessThreshold;

    public int ReadinessFailureThreshold { get; set; } = ProbeSpec.DefaultFailureThreshold;

    public ProbeKind LivenessKind { get; set; }

    public string LivenessCommand { get; set; } = "";

    public int LivenessPeriodSeconds { get; set; } = ProbeSpec.DefaultPeriodSeconds;

    public int LivenessTimeoutSeconds { get; set; } = ProbeSpec.DefaultTimeoutSeconds;

    public int LivenessSuccessThreshold { get; set; } = ProbeSpec.DefaultSuccessThreshold;

    public int LivenessFailureThreshold { get; set; } = ProbeSpec.DefaultFailureThreshold;

    public bool StartupEnabled { get; set; }

    public ProbeKind StartupKind { get; set; }

    public string StartupPath { get; set; } = "/healthz";

    public int StartupPort { get; set; } = 8080;

    public string StartupCommand { get; set; } = "";

    public int StartupInitialDelaySeconds { get; set; }

    public int StartupPeriodSeconds { get; set; } = ProbeSpec.DefaultPeriodSeconds;

    public int StartupTimeoutSeconds { get; set; } = ProbeSpec.DefaultTimeoutSeconds;

    public int StartupSuccessThreshold { get; set; } = ProbeSpec.DefaultSuccessThreshold;

    /// <summary>Startup probes give a slow start time: 30 failures every 10 s is five minutes.</summary>
    public int StartupFailureThreshold { get; set; } = 30;

    public RolloutStrategyKind Strategy { get; set; }

    /// <summary>A number of pods ("1") or a percent ("25%"); the same for <see cref="MaxUnavailable"/>.</summary>
    public string MaxSurge { get; set; } = RolloutStrategySpec.DefaultMaxSurge;

    public string MaxUnavailable { get; set; } = RolloutStrategySpec.DefaultMaxUnavailable;

    public bool DisruptionBudgetEnabled { get; set; }

    public DisruptionBudgetMode DisruptionBudgetMode { get; set; }

    /// <summary>A number of pods ("1") or a percent ("50%").</summary>
    public string DisruptionBudgetValue { get; set; } = "1";

    public bool IngressEnabled { get; set; }

    public string IngressHost { get; set; } = "";

    public string IngressPath { get; set; } = "/";

    public IngressPathType IngressPathType { get; set; }

    public string? IngressTlsSecretName { get; set; }

    /// <summary>A cert-manager ClusterIssuer that issues the certificate into <see cref="IngressTlsSecretName"/>.</summary>
    public string? IngressClusterIssuer { get; set; }

    public string? IngressClassName { get; set; }

    /// <summary>Taken from the service: a worker has no port, no Service object and no Ingress.</summary>
    public Catalog.ServiceKind Kind { get; set; }

    public List<VolumeRow> Volumes { get; set; } = [];

    public string? Comment { get; set; }

    /// <summary>Why an Admin submits during a freeze window; ignored when no freeze is in force.</summary>
    public string? BreakGlassReason { get; set; }

    /// <summary>The request in the previous environment whose spec this form was pre-filled from (promotion).</summary>
    public int? PromotedFromRequestId { get; set; }

    /// <summary>A first deploy: sensible defaults for the service, capped by the environment.</summary>
    public static RequestForm FirstDeploy(int containerPort, int environmentMaxReplicas, Catalog.ServiceKind kind = Catalog.ServiceKind.Web) => new()
    {
        Kind = kind,
        // A worker answers no HTTP: no readiness probe until the user sets an exec or TCP one.
        ReadinessEnabled = kind == Catalog.ServiceKind.Web,
        ContainerPort = containerPort,
        ReadinessPort = containerPort,
        LivenessPort = containerPort,
        StartupPort = containerPort,
        Replicas = Math.Min(2, environmentMaxReplicas),
        MinReplicas = Math.Min(2, environmentMaxReplicas),
        MaxReplicas = Math.Min(4, environmentMaxReplicas),
    };

    /// <summary>The form for a change on top of <paramref name="current"/>: every field as it is now, secrets kept.</summary>
    public static RequestForm From(RequestSpec current, IReadOnlyDictionary<int, SecretValueInfo> secretInfo)
    {
        var form = Fields(current, secretInfo);
        form.SetProbe(ProbeRole.Readiness, current.Readiness);
        form.SetProbe(ProbeRole.Liveness, current.Liveness);
        form.SetProbe(ProbeRole.Startup, current.Startup);
        var strategy = current.Strategy ?? new RolloutStrategySpec(RolloutStrategyKind.RollingUpdate, null, null);
        form.Strategy = strategy.Type;
        form.MaxSurge = strategy.MaxSurge ?? RolloutStrategySpec.DefaultMaxSurge;
        form.MaxUnavailable = strategy.MaxUnavailable ?? RolloutStrategySpec.DefaultMaxUnavailable;
        if (current.DisruptionBudget is { } budget)
        {
            form.DisruptionBudgetEnabled = true;
            form.DisruptionBudgetMode = budget.MinAvailable is null ? DisruptionBudgetMode.MaxUnavailable : DisruptionBudgetMode.MinAvailable;
            form.DisruptionBudgetValue = budget.MinAvailable ?? budget.MaxUnavailable ?? "1";
        }

        if (current.Ingress is { } ingress)
        {
            form.IngressEnabled = true;
            (form.IngressHost, form.IngressPath, form.IngressPathType) = (ingress.Host, ingress.Path, ingress.PathType);
            (form.IngressTlsSecretName, form.IngressClusterIssuer, form.IngressClassName) = (ingress.TlsSecretName, ingress.ClusterIssuer, ingress.ClassName);
        }

        return form;
    }

    private static RequestForm Fields(RequestSpec current, IReadOnlyDictionary<int, SecretValueInfo> secretInfo) => new()
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
        ContainerPort = current.ContainerPort,
        Kind = current.Kind,
        Volumes = [.. (current.Volumes ?? []).Select(v => new VolumeRow { Name = v.Name, Size = v.Size, MountPath = v.MountPath, StorageClass = v.StorageClass, AccessMode = v.AccessMode })],
    };

    /// <summary>The volumes as the spec stores them: null when there are none, so a spec without volumes reads as before.</summary>
    public IReadOnlyList<VolumeSpec>? VolumeSpecs() => Volumes.Count == 0
        ? null
        : [.. Volumes.Select(v => new VolumeSpec((v.Name ?? "").Trim(), (v.Size ?? "").Trim(), (v.MountPath ?? "").Trim(), Blank(v.StorageClass), v.AccessMode))];

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
        Readiness = Probe(ProbeRole.Readiness),
        Liveness = Probe(ProbeRole.Liveness),
        Startup = Probe(ProbeRole.Startup),
        ContainerPort = Kind == Catalog.ServiceKind.Worker ? 0 : ContainerPort,
        Kind = Kind,
        Volumes = VolumeSpecs(),
        // The defaults are left out of the spec, so that a request that does not touch them reads as before.
        Strategy = Strategy == RolloutStrategyKind.Recreate
            ? new RolloutStrategySpec(RolloutStrategyKind.Recreate, null, null)
            : MaxSurge.Trim() == RolloutStrategySpec.DefaultMaxSurge && MaxUnavailable.Trim() == RolloutStrategySpec.DefaultMaxUnavailable
                ? null
                : new RolloutStrategySpec(RolloutStrategyKind.RollingUpdate, MaxSurge.Trim(), MaxUnavailable.Trim()),
        DisruptionBudget = !DisruptionBudgetEnabled ? null : DisruptionBudgetMode == DisruptionBudgetMode.MinAvailable
            ? new DisruptionBudgetSpec(DisruptionBudgetValue.Trim(), null)
            : new DisruptionBudgetSpec(null, DisruptionBudgetValue.Trim()),
        Ingress = !IngressEnabled ? null : new IngressSpec(
            IngressHost.Trim(), IngressPath.Trim(), IngressPathType, Blank(IngressTlsSecretName), Blank(IngressClusterIssuer), Blank(IngressClassName)),
    };

    /// <summary>The fields of one probe, by role: the form keeps them flat (<c>ReadinessPath</c>, <c>StartupPort</c>...).</summary>
    public ProbeInput ProbeOf(ProbeRole role) => role switch
    {
        ProbeRole.Readiness => new(ReadinessEnabled, ReadinessKind, ReadinessPath, ReadinessPort, ReadinessCommand, ReadinessInitialDelaySeconds,
            ReadinessPeriodSeconds, ReadinessTimeoutSeconds, ReadinessSuccessThreshold, ReadinessFailureThreshold),
        ProbeRole.Liveness => new(LivenessEnabled, LivenessKind, LivenessPath, LivenessPort, LivenessCommand, LivenessInitialDelaySeconds,
            LivenessPeriodSeconds, LivenessTimeoutSeconds, LivenessSuccessThreshold, LivenessFailureThreshold),
        _ => new(StartupEnabled, StartupKind, StartupPath, StartupPort, StartupCommand, StartupInitialDelaySeconds,
            StartupPeriodSeconds, StartupTimeoutSeconds, StartupSuccessThreshold, StartupFailureThreshold),
    };

    public void SetProbe(ProbeRole role, ProbeInput p)
    {
        switch (role)
        {
            case ProbeRole.Readiness:
                (ReadinessEnabled, ReadinessKind, ReadinessPath, ReadinessPort, ReadinessCommand) = (p.Enabled, p.Kind, p.Path, p.Port, p.Command);
                (ReadinessInitialDelaySeconds, ReadinessPeriodSeconds, ReadinessTimeoutSeconds, ReadinessSuccessThreshold, ReadinessFailureThreshold) =
                    (p.InitialDelaySeconds, p.PeriodSeconds, p.TimeoutSeconds, p.SuccessThreshold, p.FailureThreshold);
                break;
            case ProbeRole.Liveness:
                (LivenessEnabled, LivenessKind, LivenessPath, LivenessPort, LivenessCommand) = (p.Enabled, p.Kind, p.Path, p.Port, p.Command);
                (LivenessInitialDelaySeconds, LivenessPeriodSeconds, LivenessTimeoutSeconds, LivenessSuccessThreshold, LivenessFailureThreshold) =
                    (p.InitialDelaySeconds, p.PeriodSeconds, p.TimeoutSeconds, p.SuccessThreshold, p.FailureThreshold);
                break;
            default:
                (StartupEnabled, StartupKind, StartupPath, StartupPort, StartupCommand) = (p.Enabled, p.Kind, p.Path, p.Port, p.Command);
                (StartupInitialDelaySeconds, StartupPeriodSeconds, StartupTimeoutSeconds, StartupSuccessThreshold, StartupFailureThreshold) =
                    (p.InitialDelaySeconds, p.PeriodSeconds, p.TimeoutSeconds, p.SuccessThreshold, p.FailureThreshold);
                break;
        }
    }

    /// <summary>Fills a probe's fields from <paramref name="probe"/>; when it is null, the probe is off and its other fields keep their values.</summary>
    public void SetProbe(ProbeRole role, ProbeSpec? probe)
    {
        var fields = ProbeOf(role);
        SetProbe(role, probe is null ? fields with { Enabled = false, Port = ContainerPort } : new ProbeInput(
            true,
            probe.Kind,
            probe.Kind == ProbeKind.Http ? probe.Path : fields.Path,
            probe.Kind == ProbeKind.Exec ? ContainerPort : probe.Port,
            string.Join('\n', probe.Command ?? []),
            probe.InitialDelaySeconds,
            probe.PeriodSeconds ?? ProbeSpec.DefaultPeriodSeconds,
            probe.TimeoutSeconds ?? ProbeSpec.DefaultTimeoutSeconds,
            probe.SuccessThreshold ?? ProbeSpec.DefaultSuccessThreshold,
            probe.FailureThreshold ?? ProbeSpec.DefaultFailureThreshold));
    }

    private ProbeSpec? Probe(ProbeRole role)
    {
        var p = ProbeOf(role);
        if (!p.Enabled)
        {
            return null;
        }

        return new ProbeSpec(p.Kind == ProbeKind.Http ? p.Path : "", p.Kind == ProbeKind.Exec ? 0 : p.Port, p.InitialDelaySeconds)
        {
            Kind = p.Kind,
            Command = p.Kind == ProbeKind.Exec ? CommandLines(p.Command) : null,
            PeriodSeconds = p.PeriodSeconds == ProbeSpec.DefaultPeriodSeconds ? null : p.PeriodSeconds,
            TimeoutSeconds = p.TimeoutSeconds == ProbeSpec.DefaultTimeoutSeconds ? null : p.TimeoutSeconds,
            SuccessThreshold = p.SuccessThreshold == ProbeSpec.DefaultSuccessThreshold ? null : p.SuccessThreshold,
            FailureThreshold = p.FailureThreshold == ProbeSpec.DefaultFailureThreshold ? null : p.FailureThreshold,
        };
    }

    /// <summary>One argument per line; blank lines are dropped.</summary>
    public static string[] CommandLines(string? command) =>
        [.. (command ?? "").Split('\n').Select(line => line.TrimEnd('\r')).Where(line => line.Trim().Length > 0)];

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

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

public enum ProbeRole
{
    Readiness,
    Liveness,
    Startup,
}

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<DisruptionBudgetMode>))]
public enum DisruptionBudgetMode
{
    MinAvailable,
    MaxUnavailable,
}

/// <summary>One probe's form fields, whichever role it has.</summary>
public sealed record ProbeInput(
    bool Enabled, ProbeKind Kind, string Path, int Port, string Command, int InitialDelaySeconds, int PeriodSeconds, int TimeoutSeconds, int SuccessThreshold, int FailureThreshold);

/// <summary>One persistent volume in the form: a PersistentVolumeClaim <c>{service}-{Name}</c> mounted at <see cref="MountPath"/>.</summary>
public sealed class VolumeRow
{
    public string Name { get; set; } = "";

    /// <summary>A Kubernetes quantity, e.g. 1Gi.</summary>
    public string Size { get; set; } = "1Gi";

    public string MountPath { get; set; } = "";

    /// <summary>Empty: the cluster's default StorageClass.</summary>
    public string? StorageClass { get; set; }

    public VolumeAccessMode AccessMode { get; set; }
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
