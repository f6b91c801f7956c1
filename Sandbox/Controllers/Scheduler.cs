using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Controllers;

/// <summary>
/// The default-scheduler's part: binds each pending pod to a Ready node with room for its requests (the least
/// allocated one, as NodeResourcesFit's default scoring prefers), or marks it Unschedulable with a FailedScheduling
/// event worded like the real one. Unschedulable pods are tried again when capacity frees up or nodes change.
/// </summary>
internal sealed class Scheduler(ClusterStore store, EventRecorder events)
{
    public const string Component = "default-scheduler";

    /// <summary>How long an unschedulable pod waits for a retry when nothing else happens, as the real queue's flush.</summary>
    public static readonly TimeSpan UnschedulableRetry = TimeSpan.FromMinutes(5);

    /// <summary>Tries to bind one pod; returns true when it stays unschedulable.</summary>
    public bool Schedule(string ns, string name)
    {
        var pod = store.Get(ResourceTypes.Pods, ns, name);
        if (pod is null || !NeedsScheduling(pod))
        {
            return false;
        }

        var nodes = store.List(ResourceTypes.Nodes, null);
        var claims = PodClaims(pod, out var claimFailure);
        if (claimFailure is not null)
        {
            // VolumeBinding's PreFilter: no node can help, and neither can preemption.
            var count = nodes.Count;
            MarkUnschedulable(pod, count == 0 ? "no nodes available to schedule pods"
                : $"0/{count} nodes are available: {claimFailure}. preemption: 0/{count} nodes are available: {count} Preemption is not helpful for scheduling.");
            return true;
        }

        var volumeConflict = ReadWriteOncePodConflict(pod, claims);
        var used = new Dictionary<string, ResourceAmounts>(StringComparer.Ordinal);
        foreach (var other in store.List(ResourceTypes.Pods, null))
        {
            var nodeName = other.Text("spec", "nodeName");
            if (string.IsNullOrEmpty(nodeName) || IsTerminal(other))
            {
                continue;
            }

            used[nodeName] = used.GetValueOrDefault(nodeName) + PodResources.Requests(other);
        }

        var request = PodResources.Requests(pod);
        var reasons = new List<string>();
        JsonObject? best = null;
        var bestScore = double.MaxValue;
        foreach (var node in nodes.OrderBy(n => n.Name(), StringComparer.Ordinal))
        {
            var misfits = Misfits(node, used.GetValueOrDefault(node.Name()), request);
            if (misfits.Count == 0)
            {
                misfits.AddRange(VolumeMisfits(node, claims, volumeConflict));
            }

            if (misfits.Count > 0)
            {
                reasons.AddRange(misfits);
                continue;
            }
            var allocatable = Allocatable(node);
            var after = used.GetValueOrDefault(node.Name()) + request;
            var score = (Fraction(after.MilliCpu, allocatable.MilliCpu) + Fraction(after.MemoryBytes, allocatable.MemoryBytes)) / 2;
            if (score < bestScore)
            {
                best = node;
                bestScore = score;
            }
        }

        if (best is not null)
        {
            var waiting = claims.Where(c => !VolumeController.IsBound(c)).ToList();
            if (waiting.Count > 0)
            {
                // WaitForFirstConsumer: the node is chosen; the pod is bound once its volumes are provisioned there.
                SelectNode(waiting, best.Name());
                return true;
            }

            Bind(pod, best.Name());
            return false;
        }
        MarkUnschedulable(pod, FailureMessage(nodes.Count, reasons));
        return true;
    }

    /// <summary>The names of the claims a pod mounts.</summary>
    public static IEnumerable<string> ClaimNames(JsonObject pod) =>
        pod.Objects("spec", "volumes").Select(v => v.Text("persistentVolumeClaim", "claimName")).OfType<string>().Where(n => n.Length > 0).Distinct(StringComparer.Ordinal);

    public static bool NeedsScheduling(JsonObject pod) =>
        string.IsNullOrEmpty(pod.Text("spec", "nodeName")) && !IsTerminal(pod) && !pod.IsBeingDeleted();

    public static bool IsUnschedulable(JsonObject pod) =>
        pod.At("status").Condition("PodScheduled") is { } c && c.Text("status") == "False";

    public static bool IsTerminal(JsonObject pod) => pod.Text("status", "phase") is "Succeeded" or "Failed";

    public static ResourceAmounts Allocatable(JsonObject node) => new(
        Quantity.ToMilli(node.Text("status", "allocatable", "cpu")),
        Quantity.ToUnits(node.Text("status", "allocatable", "memory")),
        (int)Quantity.ToUnits(node.Text("status", "allocatable", "pods") ?? "110"));

    /// <summary>Why <paramref name="request"/> does not fit on <paramref name="node"/>, in the scheduler's words; empty when it fits.</summary>
    public static List<string> Misfits(JsonObject node, ResourceAmounts used, ResourceAmounts request)
    {
        var reasons = new List<string>();
        if (node.Flag("spec", "unschedulable"))
        {
            reasons.Add("node(s) were unschedulable");
            return reasons;
        }
        if (node.At("status").Condition("Ready")?.Text("status") != "True")
        {
            reasons.Add("node(s) had untolerated taint {node.kubernetes.io/not-ready: }");
            return reasons;
        }
        reasons.AddRange(Misfits(Allocatable(node), used, request));
        return reasons;
    }

    /// <summary>NodeResourcesFit: a resource the pod does not request never blocks it.</summary>
    public static List<string> Misfits(ResourceAmounts allocatable, ResourceAmounts used, ResourceAmounts request)
    {
        var reasons = new List<string>();
        if (used.Pods + 1 > allocatable.Pods)
        {
            reasons.Add("Too many pods");
        }

        if (request.MilliCpu > 0 && request.MilliCpu > allocatable.MilliCpu - used.MilliCpu)
        {
            reasons.Add("Insufficient cpu");
        }

        if (request.MemoryBytes > 0 && request.MemoryBytes > allocatable.MemoryBytes - used.MemoryBytes)
        {
            reasons.Add("Insufficient memory");
        }

        return reasons;
    }

    /// <summary>"0/3 nodes are available: 3 Insufficient cpu.": reasons counted over nodes and sorted, as the real message.</summary>
    public static string FailureMessage(int nodeCount, IEnumerable<string> reasons)
    {
        if (nodeCount == 0)
        {
            return "no nodes available to schedule pods";
        }

        var counted = reasons.GroupBy(r => r, StringComparer.Ordinal)
            .Select(g => $"{g.Count()} {g.Key}")
            .Order(StringComparer.Ordinal);
        return $"0/{nodeCount} nodes are available: {string.Join(", ", counted)}.";
    }

    /// <summary>
    /// The pod's claims, or why none of them lets it be scheduled anywhere (VolumeBinding's PreFilter): a claim that is
    /// missing or being deleted, or one still unbound that is not waiting for its first consumer.
    /// </summary>
    private List<JsonObject> PodClaims(JsonObject pod, out string? failure)
    {
        failure = null;
        var claims = new List<JsonObject>();
        foreach (var claimName in ClaimNames(pod))
        {
            var claim = store.Get(ResourceTypes.PersistentVolumeClaims, pod.Namespace(), claimName);
            if (claim is null)
            {
                failure = $"persistentvolumeclaim \"{claimName}\" not found";
                return claims;
            }

            if (claim.IsBeingDeleted())
            {
                failure = $"persistentvolumeclaim \"{claimName}\" is being deleted";
                return claims;
            }

            claims.Add(claim);
        }

        if (claims.Any(c => !VolumeController.IsBound(c)
            && !VolumeController.WaitsForFirstConsumer(store.Get(ResourceTypes.StorageClasses, null, c.Text("spec", "storageClassName") ?? ""))))
        {
            failure = "pod has unbound immediate PersistentVolumeClaims";
        }

        return claims;
    }

    /// <summary>VolumeRestrictions: a ReadWriteOncePod claim already used by a scheduled pod blocks every node.</summary>
    private bool ReadWriteOncePodConflict(JsonObject pod, List<JsonObject> claims)
    {
        var exclusive = claims.Where(c => (c.At("spec", "accessModes") as JsonArray ?? []).Any(m => (string?)m == "ReadWriteOncePod"))
            .Select(c => c.Name()).ToHashSet(StringComparer.Ordinal);
        if (exclusive.Count == 0)
        {
            return false;
        }

        return store.List(ResourceTypes.Pods, pod.Namespace()).Any(other => other.Uid() != pod.Uid()
            && !string.IsNullOrEmpty(other.Text("spec", "nodeName")) && !IsTerminal(other)
            && ClaimNames(other).Any(exclusive.Contains));
    }

    /// <summary>Why the pod's volumes keep it off <paramref name="node"/>, in the scheduler's words.</summary>
    private IEnumerable<string> VolumeMisfits(JsonObject node, List<JsonObject> claims, bool readWriteOncePodConflict)
    {
        if (readWriteOncePodConflict)
        {
            yield return "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode";
            yield break;
        }

        foreach (var claim in claims.Where(VolumeController.IsBound))
        {
            var volume = store.Get(ResourceTypes.PersistentVolumes, null, claim.Text("spec", "volumeName") ?? "");
            var allowed = volume.Objects("spec", "nodeAffinity", "required", "nodeSelectorTerms")
                .SelectMany(t => t.Objects("matchExpressions"))
                .Where(e => e.Text("key") == "kubernetes.io/hostname" && e.Text("operator") == "In")
                .SelectMany(e => (e.At("values") as JsonArray ?? []).Select(v => (string?)v))
                .ToList();
            if (allowed.Count > 0 && !allowed.Contains(node.Labels().GetValueOrDefault("kubernetes.io/hostname", node.Name())))
            {
                yield return "node(s) had volume node affinity conflict";
                yield break;
            }
        }
    }

    private void SelectNode(List<JsonObject> claims, string nodeName)
    {
        foreach (var claim in claims.Where(c => c.Annotation(VolumeController.SelectedNodeAnnotation) is null))
        {
            claim.Ensure("metadata", "annotations")[VolumeController.SelectedNodeAnnotation] = nodeName;
            store.Update(ResourceTypes.PersistentVolumeClaims, claim, "kube-scheduler");
        }
    }

    private static double Fraction(long used, long allocatable) => allocatable <= 0 ? 1 : (double)used / allocatable;

    private void Bind(JsonObject pod, string nodeName)
    {
        pod.Ensure("spec")["nodeName"] = nodeName;
        pod = store.Update(ResourceTypes.Pods, pod, "kube-scheduler");
        var status = pod.Ensure("status");
        SetScheduledCondition(status, "True", null, null);
        store.UpdateStatus(ResourceTypes.Pods, pod, "kube-scheduler");
        events.Normal(pod, "Scheduled", $"Successfully assigned {pod.Namespace()}/{pod.Name()} to {nodeName}", Component);
    }

    private void MarkUnschedulable(JsonObject pod, string message)
    {
        var status = pod.Ensure("status");
        var before = status.DeepClone();
        status["phase"] ??= "Pending";
        SetScheduledCondition(status, "False", "Unschedulable", message);
        if (!JsonNode.DeepEquals(before, status))
        {
            store.UpdateStatus(ResourceTypes.Pods, pod, "kube-scheduler");
        }

        events.Warning(pod, "FailedScheduling", message, Component);
    }

    private void SetScheduledCondition(JsonObject status, string value, string? reason, string? message)
    {
        var conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => c.Text("type") == "PodScheduled");
        if (existing is not null && existing.Text("status") == value && existing.Text("reason") == reason && existing.Text("message") == message)
        {
            return;
        }

        var transition = existing is not null && existing.Text("status") == value
            ? existing.Text("lastTransitionTime")
            : ObjectFields.Timestamp(store.Time.GetUtcNow());
        var condition = new JsonObject { ["type"] = "PodScheduled", ["status"] = value, ["lastProbeTime"] = null, ["lastTransitionTime"] = transition };
        if (reason is not null)
        {
            condition["reason"] = reason;
        }

        if (message is not null)
        {
            condition["message"] = message;
        }

        if (existing is not null)
        {
            conditions[conditions.IndexOf(existing)] = condition;
        }
        else
        {
            conditions.Add(condition);
        }
    }
}
