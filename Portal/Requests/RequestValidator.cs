using System.Text;
using Portal.Cluster;

namespace Portal.Requests;

/// <summary>
/// Validates a request form against its environment. Errors are keyed by the form's property path
/// (<c>MaxReplicas</c>, <c>EnvVars[2].Name</c>, <c>Secrets[0].NewValue</c>) so the form shows them next to the field and
/// the API returns them as ProblemDetails field errors.
/// </summary>
public static class RequestValidator
{
    public const int MaxSecretBytes = 1024 * 1024;
    public const int MaxEnvVars = 100;
    public const int MaxEnvValueBytes = 32 * 1024;

    /// <summary>Env vars are one ConfigMap, and Kubernetes stores an object of at most 1 MiB.</summary>
    public const int MaxEnvBytes = 1024 * 1024 - 16 * 1024;
    public const int MaxCommentLength = FreeText.MaxLength;

    /// <param name="existingSecretSizes">Sizes of the secret values the current revision holds, by key.</param>
    /// <param name="claimedVolumes">The volumes as their claims are now (see <see cref="VolumeRules.Claimed"/>): a volume may not shrink.</param>
    public static Dictionary<string, string[]> Validate(
        RequestForm form, DeploymentEnvironment environment, IReadOnlyDictionary<string, int> existingSecretSizes, IReadOnlyDictionary<string, VolumeSpec>? claimedVolumes = null)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        if (KubernetesNames.ValidateImageTag(form.ImageTag) is { } tagError)
        {
            Add(nameof(form.ImageTag), tagError);
        }

        if (KubernetesNames.ValidateImageDigest(form.ImageDigest) is { } digestError)
        {
            Add(nameof(form.ImageDigest), digestError);
        }

        ValidateScaling(form, environment, Add);
        ValidateResources(form, environment, Add);
        ValidateEnvVars(form, Add);
        ValidateSecrets(form, existingSecretSizes, Add);
        foreach (var role in Enum.GetValues<ProbeRole>())
        {
            ValidateProbe(role, form.ProbeOf(role), Add);
        }

        ValidateStrategy(form, Add);
        ValidateIngress(form, Add);
        VolumeRules.Validate(form, claimedVolumes ?? new Dictionary<string, VolumeSpec>(), Add);

        if (form.Kind == Catalog.ServiceKind.Worker)
        {
            if (form.IngressEnabled)
            {
                Add(nameof(form.IngressEnabled), "A worker has no port and no Service: an Ingress would have nothing to route to.");
            }
        }
        else if (form.ContainerPort is < 1 or > 65535)
        {
            Add(nameof(form.ContainerPort), "Container port must be between 1 and 65535.");
        }

        if (FreeText.Validate(form.Comment, "The comment") is { } commentError)
        {
            Add(nameof(form.Comment), commentError);
        }

        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }

    private static void ValidateScaling(RequestForm form, DeploymentEnvironment environment, Action<string, string> add)
    {
        var max = environment.MaxReplicas;
        if (!form.Autoscaling)
        {
            if (form.Replicas < 0 || form.Replicas > max)
            {
                add(nameof(form.Replicas), $"Replicas must be between 0 and {max} in {environment.Name}.");
            }

            return;
        }

        if (form.MinReplicas < 1 || form.MinReplicas > max)
        {
            add(nameof(form.MinReplicas), $"Minimum replicas must be between 1 and {max} in {environment.Name}.");
        }

        if (form.MaxReplicas < 1 || form.MaxReplicas > max)
        {
            add(nameof(form.MaxReplicas), $"Maximum replicas must be between 1 and {max} in {environment.Name}.");
        }
        else if (form.MinReplicas > form.MaxReplicas)
        {
            add(nameof(form.MaxReplicas), $"Maximum replicas ({form.MaxReplicas}) must be at least the minimum ({form.MinReplicas}).");
        }

        if (form.CpuTargetPercent is < 1 or > 100)
        {
            add(nameof(form.CpuTargetPercent), "CPU target must be between 1 and 100 %.");
        }

        if (form.MemoryTargetPercent is < 1 or > 100)
        {
            add(nameof(form.MemoryTargetPercent), "Memory target must be between 1 and 100 %, or empty.");
        }
    }

    private static void ValidateResources(RequestForm form, DeploymentEnvironment environment, Action<string, string> add)
    {
        var cpuRequest = ParseQuantity(nameof(form.CpuRequest), "CPU request", form.CpuRequest, "250m or 0.5", add);
        var cpuLimit = ParseQuantity(nameof(form.CpuLimit), "CPU limit", form.CpuLimit, "500m or 1", add);
        var memoryRequest = ParseQuantity(nameof(form.MemoryRequest), "Memory request", form.MemoryRequest, "256Mi or 1Gi", add);
        var memoryLimit = ParseQuantity(nameof(form.MemoryLimit), "Memory limit", form.MemoryLimit, "512Mi or 1Gi", add);
        if (cpuRequest > cpuLimit)
        {
            add(nameof(form.CpuRequest), $"CPU request ({form.CpuRequest}) must not be above the limit ({form.CpuLimit}).");
        }

        if (memoryRequest > memoryLimit)
        {
            add(nameof(form.MemoryRequest), $"Memory request ({form.MemoryRequest}) must not be above the limit ({form.MemoryLimit}).");
        }

        if (memoryRequest is > 0 and < 1)
        {
            add(nameof(form.MemoryRequest), "Memory is counted in bytes: use Mi or Gi (e.g. 256Mi).");
        }

        ValidateCap(environment.MaxCpu, environment.Name, [(nameof(form.CpuRequest), "CPU request", form.CpuRequest, cpuRequest), (nameof(form.CpuLimit), "CPU limit", form.CpuLimit, cpuLimit)], add);
        ValidateCap(environment.MaxMemory, environment.Name, [(nameof(form.MemoryRequest), "Memory request", form.MemoryRequest, memoryRequest), (nameof(form.MemoryLimit), "Memory limit", form.MemoryLimit, memoryLimit)], add);
    }

    /// <summary>The environment's cap (<c>Environments:N:MaxCpu</c>, <c>MaxMemory</c>) on a request and a limit.</summary>
    private static void ValidateCap(string? cap, string environment, (string Field, string Label, string Text, decimal? Value)[] fields, Action<string, string> add)
    {
        if (cap is null || !Quantity.TryParse(cap, out var max))
        {
            return;
        }

        foreach (var (field, label, text, value) in fields)
        {
            if (value > max)
            {
                add(field, $"{label} ({text}) is above the maximum of {cap} in {environment}.");
            }
        }
    }

    private static decimal? ParseQuantity(string field, string label, string value, string example, Action<string, string> add)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            add(field, $"{label} is required (e.g. {example}).");
            return null;
        }

        if (!Quantity.TryParse(value, out var quantity) || quantity <= 0)
        {
            add(field, $"{label} must be a positive Kubernetes quantity, e.g. {example}.");
            return null;
        }

        return quantity;
    }

    private static void ValidateEnvVars(RequestForm form, Action<string, string> add)
    {
        if (form.EnvVars.Count > MaxEnvVars)
        {
            add(nameof(form.EnvVars), $"At most {MaxEnvVars} environment variables.");
        }

        var totalBytes = form.EnvVars.Sum(e => (long)Encoding.UTF8.GetByteCount(e.Name ?? "") + Encoding.UTF8.GetByteCount(e.Value ?? ""));
        if (totalBytes > MaxEnvBytes)
        {
            add(nameof(form.EnvVars), $"Environment variables add up to {totalBytes / 1024} KiB; Kubernetes stores at most 1 MiB in one ConfigMap.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var secretKeys = form.Secrets.Where(s => !s.Remove).Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < form.EnvVars.Count; i++)
        {
            var row = form.EnvVars[i];
            var field = $"{nameof(form.EnvVars)}[{i}].{nameof(EnvVarRow.Name)}";
            if (string.IsNullOrEmpty(row.Name))
            {
                add(field, "Give the variable a name.");
            }
            else if (KubernetesNames.ValidateEnvVarName(row.Name, "variable name") is { } nameError)
            {
                add(field, nameError);
            }
            else if (!seen.Add(row.Name))
            {
                add(field, $"{row.Name} is listed twice.");
            }
            else if (secretKeys.Contains(row.Name))
            {
                add(field, $"{row.Name} is also a secret key: the two would overwrite each other.");
            }

            if (Encoding.UTF8.GetByteCount(row.Value ?? "") > MaxEnvValueBytes)
            {
                add($"{nameof(form.EnvVars)}[{i}].{nameof(EnvVarRow.Value)}", $"A value must be at most {MaxEnvValueBytes / 1024} KiB.");
            }
        }
    }

    private static void ValidateSecrets(RequestForm form, IReadOnlyDictionary<string, int> existingSizes, Action<string, string> add)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        for (var i = 0; i < form.Secrets.Count; i++)
        {
            var row = form.Secrets[i];
            var keyField = $"{nameof(form.Secrets)}[{i}].{nameof(SecretRow.Key)}";
            var valueField = $"{nameof(form.Secrets)}[{i}].{nameof(SecretRow.NewValue)}";
            if (string.IsNullOrEmpty(row.Key))
            {
                add(keyField, "Give the secret a key.");
                continue;
            }

            if (KubernetesNames.ValidateEnvVarName(row.Key, "secret key") is { } keyError)
            {
                add(keyField, keyError);
            }
            else if (!seen.Add(row.Key))
            {
                add(keyField, $"{row.Key} is listed twice.");
            }

            if (row.Remove)
            {
                continue;
            }

            if (row.NewValue is { Length: > 0 })
            {
                total += Encoding.UTF8.GetByteCount(row.NewValue);
            }
            else if (row.Existing && existingSizes.TryGetValue(row.Key, out var size))
            {
                total += size;
            }
            else
            {
                add(valueField, $"Give a value for the new secret {row.Key}.");
            }
        }

        if (total > MaxSecretBytes)
        {
            add(nameof(form.Secrets), $"Secret values add up to {total / 1024} KiB; Kubernetes allows at most 1 MiB.");
        }
    }

    public const int MaxProbeCommandBytes = 4096;

    private static void ValidateProbe(ProbeRole role, ProbeInput probe, Action<string, string> add)
    {
        if (!probe.Enabled)
        {
            return;
        }

        var name = role.ToString();
        switch (probe.Kind)
        {
            case ProbeKind.Http when string.IsNullOrEmpty(probe.Path) || !probe.Path.StartsWith('/') || probe.Path.Length > 1024 || probe.Path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)):
                add($"{name}Path", $"{name} probe path must start with '/' and contain no spaces, e.g. /healthz.");
                break;
            case ProbeKind.Exec when RequestForm.CommandLines(probe.Command).Length == 0:
                add($"{name}Command", $"{name} probe command is required: one argument per line, e.g. cat and /tmp/healthy.");
                break;
            case ProbeKind.Exec when Encoding.UTF8.GetByteCount(probe.Command ?? "") > MaxProbeCommandBytes || probe.Command!.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'):
                add($"{name}Command", $"{name} probe command must be at most {MaxProbeCommandBytes / 1024} KiB of printable text.");
                break;
        }

        if (probe.Kind != ProbeKind.Exec && probe.Port is < 1 or > 65535)
        {
            add($"{name}Port", $"{name} probe port must be between 1 and 65535.");
        }

        foreach (var (field, label, value, min) in new[]
        {
            ("InitialDelaySeconds", "initial delay", probe.InitialDelaySeconds, 0),
            ("PeriodSeconds", "period", probe.PeriodSeconds, 1),
            ("TimeoutSeconds", "timeout", probe.TimeoutSeconds, 1),
        })
        {
            if (value < min || value > 3600)
            {
                add($"{name}{field}", $"{name} probe {label} must be between {min} and 3600 seconds.");
            }
        }

        if (role != ProbeRole.Readiness && probe.SuccessThreshold != 1)
        {
            add($"{name}SuccessThreshold", $"{name} probe success threshold must be 1 (Kubernetes allows no other value for {name.ToLowerInvariant()} probes).");
        }
        else if (probe.SuccessThreshold is < 1 or > 1000)
        {
            add($"{name}SuccessThreshold", $"{name} probe success threshold must be between 1 and 1000.");
        }

        if (probe.FailureThreshold is < 1 or > 1000)
        {
            add($"{name}FailureThreshold", $"{name} probe failure threshold must be between 1 and 1000.");
        }
    }

    private static void ValidateStrategy(RequestForm form, Action<string, string> add)
    {
        if (form.Strategy == RolloutStrategyKind.RollingUpdate)
        {
            var surgeError = KubernetesNames.ValidateIntOrPercent(form.MaxSurge, "max surge", atMost100Percent: false);
            var unavailableError = KubernetesNames.ValidateIntOrPercent(form.MaxUnavailable, "max unavailable");
            if (surgeError is not null)
            {
                add(nameof(form.MaxSurge), surgeError);
            }

            if (unavailableError is not null)
            {
                add(nameof(form.MaxUnavailable), unavailableError);
            }
            else if (surgeError is null && KubernetesNames.Pods(form.MaxSurge, 1, roundUp: true) == 0 && KubernetesNames.Pods(form.MaxUnavailable, 1, roundUp: true) == 0)
            {
                add(nameof(form.MaxUnavailable), "Max surge and max unavailable cannot both be 0: the rollout could never replace a pod.");
            }
        }

        if (form.DisruptionBudgetEnabled && KubernetesNames.ValidateIntOrPercent(form.DisruptionBudgetValue, form.DisruptionBudgetMode == DisruptionBudgetMode.MinAvailable ? "min available" : "max unavailable") is { } budgetError)
        {
            add(nameof(form.DisruptionBudgetValue), budgetError);
        }
    }

    private static void ValidateIngress(RequestForm form, Action<string, string> add)
    {
        if (!form.IngressEnabled)
        {
            return;
        }

        if (KubernetesNames.ValidateIngressHost(form.IngressHost) is { } hostError)
        {
            add(nameof(form.IngressHost), hostError);
        }

        if (KubernetesNames.ValidateIngressPath(form.IngressPath, strict: form.IngressPathType != IngressPathType.ImplementationSpecific) is { } pathError)
        {
            add(nameof(form.IngressPath), pathError);
        }

        foreach (var (field, label, value) in new[]
        {
            (nameof(form.IngressTlsSecretName), "TLS secret name", form.IngressTlsSecretName),
            (nameof(form.IngressClusterIssuer), "issuer name", form.IngressClusterIssuer),
            (nameof(form.IngressClassName), "ingress class", form.IngressClassName),
        })
        {
            if (!string.IsNullOrWhiteSpace(value) && KubernetesNames.ValidateSubdomain(value, label) is { } error)
            {
                add(field, error);
            }
        }

        if (!string.IsNullOrWhiteSpace(form.IngressClusterIssuer) && string.IsNullOrWhiteSpace(form.IngressTlsSecretName))
        {
            add(nameof(form.IngressTlsSecretName), "cert-manager stores the certificate in a Secret: give its name (e.g. shop-example-com-tls).");
        }
    }
}
