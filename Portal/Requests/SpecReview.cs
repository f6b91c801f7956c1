using Portal.Cluster;

namespace Portal.Requests;

public sealed record ReviewLine(string Text);

public sealed record RiskFlag(string Text);

public sealed record Review(IReadOnlyList<ReviewLine> Changes, IReadOnlyList<RiskFlag> Risks)
{
    public bool ChangesNothing => Changes.Count == 0;
}

/// <summary>The change a request makes to the current revision, in form terms, with the flags an approver should see.</summary>
public static class SpecReview
{
    /// <param name="at">When the review is made, for the approval policy (time-dependent rules); now when not given.</param>
    public static Review Compare(RequestSpec? current, RequestSpec next, IReadOnlyList<SecretChange> secretChanges, DeploymentEnvironment environment, DateTimeOffset? at = null)
    {
        var changes = new List<ReviewLine>();
        var risks = new List<RiskFlag>();
        void Change(string text) => changes.Add(new ReviewLine(text));

        if (current is null)
        {
            Change($"first deploy to {environment.Name}: image {next.ImageTag}, {Scaling(next)}");
            // Everything a first deploy sets is new: the reviewer sees it all, not only the image.
            Change($"resources: CPU {next.Resources.CpuRequest} (limit {next.Resources.CpuLimit}), memory {next.Resources.MemoryRequest} (limit {next.Resources.MemoryLimit})");
            foreach (var variable in next.EnvVars)
            {
                Change($"env {variable.Name} = {variable.Value}");
            }

            foreach (var (name, probe) in new[] { ("readiness", next.Readiness), ("liveness", next.Liveness) })
            {
                Change(probe is null ? $"no {name} probe" : $"{name} probe: GET {probe.Path} on port {probe.Port} after {probe.InitialDelaySeconds}s");
            }

            Change(next.Kind == Catalog.ServiceKind.Worker ? "worker: no port, no Service object" : $"container port {next.ContainerPort}");
            foreach (var volume in next.Volumes ?? [])
            {
                Change($"volume {VolumeRules.Describe(volume)}");
            }

            // Where the policy asks an approver, a first deploy is worth their attention.
            if (ApprovalPolicy.ApproverDecidesDeploys(environment, at ?? TimeProvider.System.GetUtcNow()))
            {
                risks.Add(new RiskFlag($"First deploy to {environment.Name}."));
            }

            FirstShape(next, Change);
        }
        else
        {
            if (current.ImageTag != next.ImageTag || current.ImageRepository != next.ImageRepository)
            {
                Change($"image {current.ImageTag} → {next.ImageTag}");
            }
            else if (current.ImageDigest != next.ImageDigest && next.ImageDigest is not null)
            {
                Change($"image {next.ImageTag} digest {Short(current.ImageDigest)} → {Short(next.ImageDigest)}");
            }

            CompareScaling(current, next, Change, risks);
            CompareResources(current.Resources, next.Resources, Change, risks);
            CompareEnvVars(current.EnvVars, next.EnvVars, Change);
            CompareProbe("readiness", current.Readiness, next.Readiness, Change, risks);
            CompareProbe("liveness", current.Liveness, next.Liveness, Change, risks);
            CompareProbe("startup", current.Startup, next.Startup, Change, risks);
            if (current.ContainerPort != next.ContainerPort)
            {
                Change($"container port {current.ContainerPort} → {next.ContainerPort}");
            }

            CompareShape(current, next, Change, risks);
            CompareVolumes(current, next, Change);
        }

        ShapeRisks(next, risks);
        risks.AddRange(VolumeRules.Risks(next).Select(r => new RiskFlag(r)));
        risks.AddRange(VolumeRules.Kept(current, next).Select(r => new RiskFlag(r)));

        foreach (var secret in secretChanges)
        {
            Change(secret.Kind switch
            {
                SecretChangeKind.Added => $"secret {secret.Key} added",
                SecretChangeKind.Replaced => $"secret {secret.Key} changed",
                _ => $"secret {secret.Key} removed",
            });
        }

        if (next.Replicas == 0)
        {
            risks.Add(new RiskFlag("Scales to 0: the service stops serving."));
        }

        return new Review(changes, risks);
    }

    /// <summary>
    /// Why the cluster's answer stops a submit, as a title and field errors (the form shows "" above the form and the
    /// rest next to the field; the API returns them as a ProblemDetails); null when it does not.
    /// </summary>
    /// <param name="volumes">The form's volume names, in order: a missing StorageClass is told next to its volume.</param>
    public static (string Title, Dictionary<string, string[]> Errors)? Refusal(ClusterFindings cluster, bool autoscaling, IReadOnlyList<string?> volumes)
    {
        if (cluster.Diff.Status == LiveDiffStatus.Refused)
        {
            var message = $"The cluster refused this change in a dry run: {cluster.Diff.Message}";
            return (message, new Dictionary<string, string[]> { [""] = [message] });
        }

        if (cluster.MissingStorageClasses.Count > 0)
        {
            var errors = new Dictionary<string, string[]>();
            var names = volumes.Select(name => name?.Trim()).ToList();
            foreach (var missing in cluster.MissingStorageClasses)
            {
                var index = names.IndexOf(missing.Volume);
                var field = index < 0 ? nameof(RequestForm.Volumes) : $"{nameof(RequestForm.Volumes)}[{index}].{nameof(VolumeRow.StorageClass)}";
                errors[field] = [$"The cluster has no storage class {missing.StorageClass}: its claim would stay Pending, and so would the pods. Its classes: {missing.Known}. Leave it empty for the default."];
            }

            return ("A volume names a storage class the cluster does not have.", errors);
        }

        if (cluster.Blocks && cluster.Capacity is { } capacity)
        {
            var message = $"The pods do not fit: {capacity.Need}. {string.Join(" ", capacity.Problems)}";
            return ("The pods do not fit in the cluster.", new Dictionary<string, string[]>
            {
                [""] = [message],
                [autoscaling ? nameof(RequestForm.MaxReplicas) : nameof(RequestForm.Replicas)] = [.. capacity.Problems],
            });
        }

        return null;
    }

    private static string Scaling(RequestSpec spec) => spec.Autoscaling is { } hpa
        ? $"autoscaling {hpa.MinReplicas}–{hpa.MaxReplicas} at {hpa.CpuTargetPercent}% CPU{(hpa.MemoryTargetPercent is { } memory ? $" and {memory}% memory" : "")}"
        : $"{spec.Replicas} replicas";

    private static void CompareScaling(RequestSpec current, RequestSpec next, Action<string> change, List<RiskFlag> risks)
    {
        switch (current.Autoscaling, next.Autoscaling)
        {
            case (null, null) when current.Replicas != next.Replicas:
                change($"replicas {current.Replicas} → {next.Replicas}");
                break;
            case (null, { } on):
                change($"autoscaling on: {on.MinReplicas}–{on.MaxReplicas} at {on.CpuTargetPercent}% CPU{(on.MemoryTargetPercent is { } m ? $", {m}% memory" : "")}");
                if (on.MaxReplicas < current.Replicas)
                {
                    risks.Add(new RiskFlag($"Autoscaling maximum {on.MaxReplicas} is below the current {current.Replicas} replicas."));
                }

                break;
            case ({ }, null):
                change($"autoscaling off: {next.Replicas} replicas");
                break;
            case ({ } before, { } after) when before != after:
                change($"autoscaling {before.MinReplicas}–{before.MaxReplicas} at {before.CpuTargetPercent}% → {after.MinReplicas}–{after.MaxReplicas} at {after.CpuTargetPercent}% CPU");
                if (after.MaxReplicas < before.MaxReplicas)
                {
                    risks.Add(new RiskFlag($"Autoscaling maximum lowered from {before.MaxReplicas} to {after.MaxReplicas}: running replicas above it will be removed."));
                }

                break;
        }
    }

    private static void CompareResources(ResourceSpec before, ResourceSpec after, Action<string> change, List<RiskFlag> risks)
    {
        foreach (var (label, old, @new, isLimit) in new[]
        {
            ("CPU request", before.CpuRequest, after.CpuRequest, false),
            ("CPU limit", before.CpuLimit, after.CpuLimit, true),
            ("memory request", before.MemoryRequest, after.MemoryRequest, false),
            ("memory limit", before.MemoryLimit, after.MemoryLimit, true),
        })
        {
            if (old == @new)
            {
                continue;
            }

            change($"{label} {old} → {@new}");
            if (isLimit && Quantity.TryParse(old, out var oldValue) && Quantity.TryParse(@new, out var newValue) && newValue < oldValue)
            {
                risks.Add(new RiskFlag($"{char.ToUpperInvariant(label[0])}{label[1..]} lowered from {old} to {@new}."));
            }
        }
    }

    private static void CompareEnvVars(IReadOnlyList<EnvVarSpec> before, IReadOnlyList<EnvVarSpec> after, Action<string> change)
    {
        var old = before.ToDictionary(e => e.Name, e => e.Value);
        var @new = after.ToDictionary(e => e.Name, e => e.Value);
        foreach (var (name, value) in @new)
        {
            if (!old.TryGetValue(name, out var previous))
            {
                change($"env {name} added");
            }
            else if (previous != value)
            {
                change($"env {name} changed");
            }
        }

        foreach (var name in old.Keys.Where(k => !@new.ContainsKey(k)))
        {
            change($"env {name} removed");
        }
    }

    private static void CompareProbe(string name, ProbeSpec? before, ProbeSpec? after, Action<string> change, List<RiskFlag> risks)
    {
        switch (before, after)
        {
            case (null, { } added):
                change($"{name} probe added: {added.Describe()}");
                break;
            case ({ }, null):
                change($"{name} probe removed");
                risks.Add(new RiskFlag($"The {name} probe is removed."));
                break;
            case ({ } old, { } @new) when old != @new:
                change($"{name} probe {old.Describe()} → {@new.Describe()}");
                break;
        }
    }

    /// <summary>Strategy, disruption budget and Ingress in form terms.</summary>
    public static string Describe(RolloutStrategySpec? strategy) => strategy switch
    {
        { Type: RolloutStrategyKind.Recreate } => "Recreate",
        _ => $"rolling update, max surge {strategy?.MaxSurge ?? RolloutStrategySpec.DefaultMaxSurge}, max unavailable {strategy?.MaxUnavailable ?? RolloutStrategySpec.DefaultMaxUnavailable}",
    };

    public static string Describe(DisruptionBudgetSpec budget) =>
        budget.MinAvailable is { } min ? $"min available {min}" : $"max unavailable {budget.MaxUnavailable}";

    public static string Describe(IngressSpec ingress) =>
        $"{(ingress.TlsSecretName is null ? "http" : "https")}://{ingress.Host}{ingress.Path} ({ingress.PathType})"
        + (ingress.TlsSecretName is { } tls ? $", TLS from secret {tls}" : "")
        + (ingress.ClusterIssuer is { } issuer ? $" issued by {issuer}" : "")
        + (ingress.ClassName is { } className ? $", class {className}" : "");

    private static void FirstShape(RequestSpec next, Action<string> change)
    {
        if (next.Strategy is not null)
        {
            change($"rollout strategy: {Describe(next.Strategy)}");
        }

        if (next.DisruptionBudget is { } budget)
        {
            change($"disruption budget: {Describe(budget)}");
        }

        if (next.Ingress is { } ingress)
        {
            change($"ingress: {Describe(ingress)}");
        }
    }

    private static void CompareShape(RequestSpec current, RequestSpec next, Action<string> change, List<RiskFlag> risks)
    {
        if (current.Strategy != next.Strategy)
        {
            change($"rollout strategy {Describe(current.Strategy)} → {Describe(next.Strategy)}");
        }

        switch (current.DisruptionBudget, next.DisruptionBudget)
        {
            case (null, { } added):
                change($"disruption budget added: {Describe(added)}");
                break;
            case ({ }, null):
                change("disruption budget removed");
                break;
            case ({ } before, { } after) when before != after:
                change($"disruption budget {Describe(before)} → {Describe(after)}");
                break;
        }

        switch (current.Ingress, next.Ingress)
        {
            case (null, { } added):
                change($"ingress added: {Describe(added)}");
                break;
            case ({ } removed, null):
                change("ingress removed");
                risks.Add(new RiskFlag($"External access through {removed.Host}{removed.Path} is removed."));
                break;
            case ({ } before, { } after) when before != after:
                change($"ingress {Describe(before)} → {Describe(after)}");
                if (before.Host != after.Host || before.Path != after.Path)
                {
                    risks.Add(new RiskFlag($"External address changes: {before.Host}{before.Path} stops answering."));
                }

                break;
        }
    }

    private static void CompareVolumes(RequestSpec current, RequestSpec next, Action<string> change)
    {
        if (current.Kind != next.Kind)
        {
            change(next.Kind == Catalog.ServiceKind.Worker ? "becomes a worker: its Service object is deleted" : "becomes a web service: a Service object is created");
        }

        var before = (current.Volumes ?? []).ToDictionary(v => v.Name, StringComparer.Ordinal);
        foreach (var volume in next.Volumes ?? [])
        {
            if (!before.TryGetValue(volume.Name, out var old))
            {
                change($"volume added: {VolumeRules.Describe(volume)}");
            }
            else if (old != volume)
            {
                change($"volume {VolumeRules.Describe(old)} → {VolumeRules.Describe(volume)}");
            }
        }

        foreach (var name in before.Keys.Where(name => next.Volumes?.Any(v => v.Name == name) != true))
        {
            change($"volume {name} no longer mounted (its claim is kept)");
        }
    }

    /// <summary>Settings that are risky whatever they were before: the approver sees them on every request that has them.</summary>
    private static void ShapeRisks(RequestSpec next, List<RiskFlag> risks)
    {
        var replicas = next.Autoscaling?.MinReplicas ?? next.Replicas ?? 0;
        if (next.Strategy is { Type: RolloutStrategyKind.Recreate })
        {
            risks.Add(new RiskFlag("Recreate: every pod stops before the new ones start, so the service is down during each rollout."));
        }
        else if (next.Strategy is { MaxUnavailable: { } unavailable } && replicas > 0 && KubernetesNames.Pods(unavailable, replicas, roundUp: false) >= replicas)
        {
            risks.Add(new RiskFlag($"Max unavailable {unavailable}: all {replicas} pods may be down at once during a rollout."));
        }

        if (next.DisruptionBudget is { } budget && replicas > 0)
        {
            var allowed = budget.MinAvailable is { } min
                ? replicas - KubernetesNames.Pods(min, replicas, roundUp: true)
                : KubernetesNames.Pods(budget.MaxUnavailable, replicas, roundUp: true);
            if (allowed <= 0)
            {
                risks.Add(new RiskFlag($"The PodDisruptionBudget ({Describe(budget)}) allows 0 disruptions of {replicas} pods: node drains and upgrades will block."));
            }
        }
    }

    private static string Short(string? digest) => digest is null ? "none" : digest.Length > 19 ? digest[..19] : digest;
}
