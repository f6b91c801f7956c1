using System.Text.RegularExpressions;
using k8s.Models;
using Portal.Requests;

namespace Portal.Rollouts;

/// <summary>
/// Judges a rollout from the cluster's objects exactly as <c>kubectl rollout status</c> does, and explains in plain
/// language what holds it up.
/// </summary>
public static partial class RolloutVerdict
{
    private const string RevisionAnnotation = "deployment.kubernetes.io/revision";

    [GeneratedRegex(@"Insufficient ([a-z][a-z0-9./-]*[a-z0-9])")]
    private static partial Regex Insufficient();

    public static RolloutSnapshot Evaluate(
        int requestId,
        V1Deployment? deployment,
        long? appliedGeneration,
        IReadOnlyList<V1ReplicaSet> replicaSets,
        IReadOnlyList<V1Pod> pods,
        IReadOnlyList<Corev1Event> events,
        DateTimeOffset appliedAt,
        DateTimeOffset now)
    {
        var elapsed = now - appliedAt;
        if (deployment is null)
        {
            return RolloutSnapshot.Waiting(requestId, "Waiting for the Deployment to appear...", now) with { Phase = RolloutPhase.Progressing, Elapsed = elapsed };
        }

        var deadline = TimeSpan.FromSeconds(deployment.Spec.ProgressDeadlineSeconds ?? 600);
        var owned = replicaSets.Where(rs => OwnedBy(rs.Metadata, deployment.Metadata.Uid)).ToList();
        var revision = deployment.Metadata.Revision();
        var newSet = owned.FirstOrDefault(rs => rs.Metadata.Revision() == revision);
        var ownedNames = owned.Select(rs => rs.Metadata.Uid).ToHashSet();
        var podStates = pods
            .Where(p => p.Metadata.OwnerReferences?.Any(o => ownedNames.Contains(o.Uid)) == true)
            .Select(p => Pod(p, newSet?.Metadata.Uid))
            .OrderByDescending(p => p.IsNew).ThenBy(p => p.Name, StringComparer.Ordinal)
            .ToList();
        var status = deployment.Status ?? new V1DeploymentStatus();
        var desired = deployment.Spec.Replicas ?? status.Replicas ?? 0;
        var (phase, message) = Judge(deployment, appliedGeneration);
        var (blocked, blocking) = phase == RolloutPhase.Succeeded ? (null, null) : Blocking(podStates, pods, phase == RolloutPhase.Failed);

        var objectNames = owned.Select(rs => rs.Metadata.Name).Append(deployment.Metadata.Name).Concat(podStates.Select(p => p.Name)).ToHashSet(StringComparer.Ordinal);
        var recent = events
            .Where(e => e.InvolvedObject?.Name is { } name && objectNames.Contains(name))
            .Select(e => new EventLine(When(e), e.Type ?? "Normal", e.Reason ?? "", $"{e.InvolvedObject.Kind?.ToLowerInvariant()}/{e.InvolvedObject.Name}", e.Message ?? "", e.Count ?? 1))
            .OrderByDescending(e => e.At)
            .Take(15)
            .ToList();

        return new RolloutSnapshot(
            requestId,
            phase,
            message,
            blocking,
            desired,
            status.UpdatedReplicas ?? 0,
            status.ReadyReplicas ?? 0,
            status.AvailableReplicas ?? 0,
            [.. owned.OrderByDescending(rs => int.TryParse(rs.Metadata.Revision(), out var r) ? r : 0).Select(rs => new ReplicaSetState(
                rs.Metadata.Name,
                rs.Metadata.Revision() ?? "",
                rs == newSet,
                rs.Spec.Replicas ?? 0,
                rs.Status?.ReadyReplicas ?? 0,
                rs.Status?.AvailableReplicas ?? 0))],
            podStates,
            recent,
            elapsed,
            deadline,
            now)
        {
            Blocked = blocked,
        };
    }

    /// <summary>
    /// One service in one environment in one word, from what the portal applied, the live Deployment (judged by
    /// kubectl's rules), the tracker's latest snapshot while a rollout runs, and the drift lines.
    /// </summary>
    /// <param name="currentRevision">The last revision that succeeded here: what "Roll back" goes back to.</param>
    public static ServiceVerdict ForService(AppliedRevision? applied, LiveDeployment? live, RolloutSnapshot? latest, int? currentRevision, IReadOnlyList<string> drift)
    {
        if (applied is null)
        {
            return new(ServiceState.NotDeployed, "Not deployed");
        }

        var rollbackTo = currentRevision is { } revision && revision != applied.Revision ? currentRevision : null;
        if (applied.IsRollingOut)
        {
            var snapshot = latest?.RequestId == applied.RequestId ? latest : null;
            if (snapshot?.Phase == RolloutPhase.Failed || live?.Phase == RolloutPhase.Failed)
            {
                return new(ServiceState.Failed, "Failed", snapshot?.Message ?? live?.PhaseMessage, snapshot?.Blocking, rollbackTo);
            }

            return new(ServiceState.Progressing, "Progressing", snapshot?.Message ?? live?.PhaseMessage, snapshot?.Blocking, snapshot?.IsStuck == true ? rollbackTo : null);
        }

        if (applied.State is RequestState.Failed or RequestState.RolledBack)
        {
            return new(ServiceState.Failed, "Failed", $"the last rollout ({applied.Name}) failed", live?.Phase == RolloutPhase.Failed ? live.PhaseMessage : null, rollbackTo);
        }

        if (live?.Phase == RolloutPhase.Failed)
        {
            return new(ServiceState.Failed, "Failed", live.PhaseMessage, null, rollbackTo);
        }

        if (live is null || drift.Count > 0)
        {
            return new(ServiceState.Drift, "Drift", live is null ? "the Deployment is missing from the cluster" : "the cluster differs from what the portal applied");
        }

        if (live.Desired == 0)
        {
            return new(ServiceState.ScaledToZero, "Scaled to zero", "0 replicas wanted: nothing runs");
        }

        // Outside a portal rollout: a restart or a change made with kubectl, judged the same way. Every replica already
        // of the current template while some are not available is a loss (a pod died, a node went), not a rollout.
        if (live.Phase == RolloutPhase.Progressing && (live.Updated < live.Desired || live.Replicas > live.Updated))
        {
            return new(ServiceState.Progressing, "Progressing", live.PhaseMessage);
        }

        if (live.Ready < live.Desired || live.IsAvailable == false)
        {
            return new(ServiceState.Degraded, "Degraded", $"{live.Ready} of {live.Desired} ready{(live.IsAvailable == false && !string.IsNullOrEmpty(live.AvailableMessage) ? $": {live.AvailableMessage}" : "")}");
        }

        return new(ServiceState.Healthy, "Healthy", $"{live.Ready} of {live.Desired} ready");
    }

    /// <summary>kubectl's DeploymentStatusViewer, word for word, plus: the apply we made must have been observed.</summary>
    internal static (RolloutPhase Phase, string Message) Judge(V1Deployment deployment, long? appliedGeneration)
    {
        var name = deployment.Metadata.Name;
        var status = deployment.Status;
        var observed = status?.ObservedGeneration ?? 0;
        if (status is null || deployment.Metadata.Generation > observed || (appliedGeneration is { } applied && observed < applied))
        {
            return (RolloutPhase.Progressing, "Waiting for deployment spec update to be observed...");
        }

        var progressing = status.Conditions?.FirstOrDefault(c => c.Type == "Progressing");
        if (progressing?.Reason == "ProgressDeadlineExceeded")
        {
            return (RolloutPhase.Failed, $"deployment \"{name}\" exceeded its progress deadline");
        }

        var updated = status.UpdatedReplicas ?? 0;
        if (deployment.Spec.Replicas is { } replicas && updated < replicas)
        {
            return (RolloutPhase.Progressing, $"Waiting for deployment \"{name}\" rollout to finish: {updated} out of {replicas} new replicas have been updated...");
        }

        if ((status.Replicas ?? 0) > updated)
        {
            return (RolloutPhase.Progressing, $"Waiting for deployment \"{name}\" rollout to finish: {(status.Replicas ?? 0) - updated} old replicas are pending termination...");
        }

        if ((status.AvailableReplicas ?? 0) < updated)
        {
            return (RolloutPhase.Progressing, $"Waiting for deployment \"{name}\" rollout to finish: {status.AvailableReplicas ?? 0} of {updated} updated replicas are available...");
        }

        return (RolloutPhase.Succeeded, $"deployment \"{name}\" successfully rolled out");
    }

    /// <summary>
    /// What holds the new pods up, from their recent history rather than their state this instant: a crash-looping
    /// container is Running for a moment after each restart, and the explanation must not vanish then.
    /// </summary>
    private static (BlockingKind? Kind, string? Line) Blocking(List<PodState> states, IReadOnlyList<V1Pod> pods, bool failed)
    {
        var fresh = states.Where(p => p.IsNew).ToList();
        var byName = pods.ToDictionary(p => p.Metadata.Name, StringComparer.Ordinal);
        var crashing = fresh.Where(p => !p.Ready && (p.Reason == "CrashLoopBackOff" || (p.Restarts > 0 && LastExit(byName[p.Name]) is not null))).ToList();
        if (crashing.Count > 0)
        {
            var worst = crashing.MaxBy(p => p.Restarts)!;
            var pod = byName[worst.Name];
            var exit = LastExit(pod);
            var started = pod.Status?.StartTime ?? pod.Metadata.CreationTimestamp;
            var span = exit?.FinishedAt is { } finished && started is { } start ? finished - start : (TimeSpan?)null;
            var history = $"{worst.Restarts} {(worst.Restarts == 1 ? "restart" : "restarts")}{(span is { } s && s > TimeSpan.Zero ? $" in {Duration(s)}" : "")}";
            return (BlockingKind.CrashLoop, $"{crashing.Count} new {Pods(crashing.Count)} crash-looping: {history}, last exit {exit?.Reason ?? "unknown"}");
        }

        var pulling = fresh.FirstOrDefault(p => p.Reason is "ErrImagePull" or "ImagePullBackOff" or "InvalidImageName");
        if (pulling is not null)
        {
            return (BlockingKind.ImagePull, $"image not found: {pulling.Reason}");
        }

        var unschedulable = fresh.Where(p => p.Reason == "Unschedulable").ToList();
        if (unschedulable.Count > 0)
        {
            var message = byName[unschedulable[0].Name].Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled")?.Message ?? "";
            var resources = Insufficient().Matches(message).Select(m => m.Groups[1].Value.ToLowerInvariant()).Distinct().ToList();
            var why = resources.Count > 0 ? $"insufficient {string.Join(" and ", resources)}" : message.TrimEnd('.');
            return (BlockingKind.Unschedulable, $"{unschedulable.Count} new {Pods(unschedulable.Count)} cannot be scheduled: {why}");
        }

        var notReady = fresh.Where(p => p.Phase == "Running" && !p.Ready).ToList();
        if (notReady.Count > 0 && failed)
        {
            return (BlockingKind.NeverReady, $"{notReady.Count} new {Pods(notReady.Count)} run but never became ready: check the readiness probe");
        }

        return failed ? (BlockingKind.NoProgress, "the rollout made no progress before its deadline") : (null, null);
    }

    private static V1ContainerStateTerminated? LastExit(V1Pod pod) =>
        (pod.Status?.ContainerStatuses ?? []).Select(c => c.LastState?.Terminated).Where(t => t is not null).MaxBy(t => t!.FinishedAt ?? DateTime.MinValue);

    /// <summary>"40 s", "3 min 5 s", "2 h 4 min".</summary>
    public static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min" : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes} min {span.Seconds} s" : $"{Math.Max(0, (int)span.TotalSeconds)} s";

    private static PodState Pod(V1Pod pod, string? newSetUid)
    {
        var containers = pod.Status?.ContainerStatuses ?? [];
        var waiting = containers.Select(c => c.State?.Waiting?.Reason).FirstOrDefault(r => r is not null);
        var terminated = containers.Select(c => c.State?.Terminated?.Reason).FirstOrDefault(r => r is not null);
        var scheduled = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        var reason = scheduled is { Status: "False" } ? scheduled.Reason : waiting ?? terminated;
        return new PodState(
            pod.Metadata.Name,
            pod.Metadata.OwnerReferences?.Any(o => o.Uid == newSetUid) == true,
            pod.Status?.Phase ?? "Pending",
            reason,
            containers.Sum(c => c.RestartCount),
            pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true,
            pod.Spec?.NodeName);
    }

    private static string? Revision(this V1ObjectMeta meta) =>
        meta.Annotations is { } annotations && annotations.TryGetValue(RevisionAnnotation, out var revision) ? revision : null;

    private static bool OwnedBy(V1ObjectMeta meta, string uid) => meta.OwnerReferences?.Any(o => o.Uid == uid) == true;

    private static DateTimeOffset? When(Corev1Event e)
    {
        var at = e.LastTimestamp ?? e.EventTime ?? e.FirstTimestamp ?? e.Metadata?.CreationTimestamp;
        return at is null ? null : new DateTimeOffset(DateTime.SpecifyKind(at.Value, DateTimeKind.Utc));
    }

    private static string Pods(int count) => count == 1 ? "pod" : "pods";
}

/// <summary>The states a service's page (and everything else that speaks of a service) can be in, per environment.</summary>
public enum ServiceState
{
    Healthy,
    Progressing,
    Failed,
    Degraded,
    ScaledToZero,
    NotDeployed,
    Drift,
}

/// <param name="Detail">One plain line under the state: kubectl's message, the counts, what failed.</param>
/// <param name="Blocking">While a rollout is held up (or failed): what holds it.</param>
/// <param name="RollbackTo">The revision a "Roll back" action goes to, when one is at hand.</param>
public sealed record ServiceVerdict(ServiceState State, string Text, string? Detail = null, string? Blocking = null, int? RollbackTo = null);
