namespace Portal.Requests.Components;

/// <summary>
/// Re-applies a superseded or expired request's changes on top of the form pre-filled from the current revision. Secret
/// values cannot be carried over (they are never read back), so secrets it set must be typed again.
/// </summary>
public static class Resubmission
{
    /// <returns>Notes for the user about what could not be carried over.</returns>
    public static IReadOnlyList<string> Reapply(RequestForm form, DeploymentRequest earlier)
    {
        var spec = earlier.Spec;
        var from = RequestForm.From(spec, new Dictionary<int, SecretValueInfo>());
        form.ImageTag = from.ImageTag;
        form.ImageDigest = spec.ImageDigest;
        form.Autoscaling = from.Autoscaling;
        (form.Replicas, form.MinReplicas, form.MaxReplicas) = (from.Replicas, from.MinReplicas, from.MaxReplicas);
        (form.CpuTargetPercent, form.MemoryTargetPercent) = (from.CpuTargetPercent, from.MemoryTargetPercent);
        form.ApplyPreset(new ResourcePreset("", from.CpuRequest, from.CpuLimit, from.MemoryRequest, from.MemoryLimit));
        form.EnvVars = from.EnvVars;
        (form.ReadinessEnabled, form.ReadinessPath, form.ReadinessPort, form.ReadinessInitialDelaySeconds) =
            (from.ReadinessEnabled, from.ReadinessPath, from.ReadinessPort, from.ReadinessInitialDelaySeconds);
        (form.LivenessEnabled, form.LivenessPath, form.LivenessPort, form.LivenessInitialDelaySeconds) =
            (from.LivenessEnabled, from.LivenessPath, from.LivenessPort, from.LivenessInitialDelaySeconds);
        form.ContainerPort = from.ContainerPort;
        form.Comment = string.IsNullOrEmpty(earlier.Comment) ? $"Re-submit of #{earlier.Id}" : earlier.Comment;

        var notes = new List<string>();
        foreach (var change in earlier.SecretChanges)
        {
            var row = form.Secrets.Find(s => s.Key == change.Key);
            switch (change.Kind)
            {
                case SecretChangeKind.Removed when row is not null:
                    row.Remove = true;
                    break;
                case SecretChangeKind.Added when row is null:
                    form.Secrets.Add(new SecretRow { Key = change.Key });
                    notes.Add($"Request #{earlier.Id} added the secret {change.Key}: type its value again.");
                    break;
                case SecretChangeKind.Added or SecretChangeKind.Replaced:
                    notes.Add($"Request #{earlier.Id} changed the secret {change.Key}: use Replace to type its value again, or keep the current one.");
                    break;
            }
        }

        return notes;
    }
}
