using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Controllers;

/// <summary>
/// The ReplicaSet controller: keeps as many pods as spec.replicas (creating them from the template, deleting the
/// least useful first when there are too many) and reports replicas, fullyLabeledReplicas, readyReplicas and
/// availableReplicas in status.
/// </summary>
internal sealed class ReplicaSetController(ClusterStore store, EventRecorder events)
{
    public const string Component = "replicaset-controller";

    /// <summary>How soon a ReplicaSet whose pods a quota refused tries again.</summary>
    private static readonly TimeSpan QuotaRetry = TimeSpan.FromSeconds(10);

    /// <summary>Reconciles one ReplicaSet; returns when it should be looked at again (a pod reaching minReadySeconds).</summary>
    public TimeSpan? Sync(string ns, string name)
    {
        var rs = store.Get(ResourceTypes.ReplicaSets, ns, name);
        if (rs is null || rs.IsBeingDeleted())
        {
            return null;
        }

        var wanted = Math.Max(0, rs.Int("spec", "replicas") ?? 1);
        var active = OwnedPods(rs).Where(IsActive).ToList();
        var diff = active.Count - wanted;
        if (diff < 0)
        {
            for (var i = 0; i < -diff; i++)
            {
                try
                {
                    var pod = store.Create(ResourceTypes.Pods, NewPod(rs), manager: ControllerManager.Manager);
                    events.Normal(rs, "SuccessfulCreate", $"Created pod: {pod.Name()}", Component);
                }
                catch (StoreException e) when (e.Code == 403)
                {
                    // Refused by a ResourceQuota: reported as the real controller does, and tried again later.
                    events.Warning(rs, "FailedCreate", $"Error creating: {e.Message}", Component);
                    UpdateStatus(rs);
                    return QuotaRetry;
                }
            }
        }
        else if (diff > 0)
        {
            var now = store.Time.GetUtcNow();
            foreach (var pod in active.OrderBy(p => p, new DeletionOrder(now)).Take(diff))
            {
                try
                {
                    store.Delete(ResourceTypes.Pods, ns, pod.Name());
                    events.Normal(rs, "SuccessfulDelete", $"Deleted pod: {pod.Name()}", Component);
                }
                catch (StoreException e) when (e.Code == 404) { }
            }
        }

        return UpdateStatus(rs);
    }

    private TimeSpan? UpdateStatus(JsonObject rs)
    {
        var now = store.Time.GetUtcNow();
        var minReadySeconds = rs.Int("spec", "minReadySeconds") ?? 0;
        var templateLabels = rs.StringMap("spec", "template", "metadata", "labels");
        var pods = OwnedPods(rs).Where(IsActive).ToList();
        var ready = pods.Where(IsReady).ToList();
        var available = ready.Count(p => IsAvailable(p, minReadySeconds, now));

        var status = rs["status"]?.DeepClone() as JsonObject ?? new JsonObject();
        var before = status.DeepClone();
        status["replicas"] = pods.Count;
        status["fullyLabeledReplicas"] = pods.Count(p => templateLabels.All(l => p.Labels().TryGetValue(l.Key, out var v) && v == l.Value));
        status["readyReplicas"] = ready.Count;
        status["availableReplicas"] = available;
        status["observedGeneration"] = rs.Generation();
        // Like the API server's output: zero counts are left out (omitempty), replicas always shown.
        foreach (var field in new[] { "fullyLabeledReplicas", "readyReplicas", "availableReplicas" })
        {
            if (status.Int(field) == 0)
            {
                status.Remove(field);
            }
        }
        if (!JsonNode.DeepEquals(before, status))
        {
            rs["status"] = status;
            store.UpdateStatus(ResourceTypes.ReplicaSets, rs, ControllerManager.Manager);
        }

        // Ready pods that have not been ready for minReadySeconds yet become available later: look again then.
        var nextAvailable = ready
            .Select(p => ReadySince(p) is { } since ? since + TimeSpan.FromSeconds(minReadySeconds) : (DateTimeOffset?)null)
            .Where(t => t is { } at && at >= now)
            .Min();
        return nextAvailable is { } next ? next - now + TimeSpan.FromSeconds(1) : null;
    }

    private IEnumerable<JsonObject> OwnedPods(JsonObject rs) =>
        store.List(ResourceTypes.Pods, rs.Namespace()).Where(p => p.IsControlledBy(rs));

    private static JsonObject NewPod(JsonObject rs)
    {
        var template = rs.At("spec", "template") as JsonObject ?? new JsonObject();
        var metadata = template["metadata"]?.DeepClone() as JsonObject ?? new JsonObject();
        metadata.Remove("name");
        metadata.Remove("creationTimestamp");
        metadata["generateName"] = rs.Name() + "-";
        metadata["namespace"] = rs.Namespace();
        metadata["ownerReferences"] = new JsonArray(ObjectFields.ControllerReferenceTo(rs, ResourceTypes.ReplicaSets));
        var spec = template["spec"]?.DeepClone() as JsonObject ?? new JsonObject();
        // Defaults the API server would fill in, so pods read like a real cluster's.
        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["schedulerName"] ??= Scheduler.Component;
        spec["securityContext"] ??= new JsonObject();
        foreach (var container in spec.Objects("containers"))
        {
            container["imagePullPolicy"] ??= Kubelet.TagOf(container.Text("image") ?? "") == "latest" ? "Always" : "IfNotPresent";
            container["terminationMessagePath"] ??= "/dev/termination-log";
            container["terminationMessagePolicy"] ??= "File";
            container["resources"] ??= new JsonObject();
        }
        var pod = new JsonObject { ["metadata"] = metadata, ["spec"] = spec, ["status"] = new JsonObject { ["phase"] = "Pending" } };
        pod.Ensure("status")["qosClass"] = PodResources.QosClass(pod);
        return pod;
    }

    public static bool IsActive(JsonObject pod) => !Scheduler.IsTerminal(pod) && !pod.IsBeingDeleted();

    public static bool IsReady(JsonObject pod) => pod.At("status").Condition("Ready")?.Text("status") == "True";

    public static DateTimeOffset? ReadySince(JsonObject pod) =>
        ObjectFields.ParseTime(pod.At("status").Condition("Ready")?.Text("lastTransitionTime"));

    /// <summary>podutil.IsPodAvailable: ready, and for minReadySeconds already.</summary>
    public static bool IsAvailable(JsonObject pod, int minReadySeconds, DateTimeOffset now)
    {
        if (!IsReady(pod))
        {
            return false;
        }

        if (minReadySeconds == 0)
        {
            return true;
        }

        return ReadySince(pod) is { } since && since + TimeSpan.FromSeconds(minReadySeconds) < now;
    }

    /// <summary>
    /// controller.ActivePods ordering: the pod to delete first is the one that costs least: unscheduled before scheduled,
    /// pending before running, not ready before ready, ready for less time, more restarts, and newer.
    /// </summary>
    private sealed class DeletionOrder(DateTimeOffset now) : IComparer<JsonObject>
    {
        public int Compare(JsonObject? x, JsonObject? y)
        {
            if (x is null || y is null)
            {
                return 0;
            }

            var scheduled = Scheduled(x).CompareTo(Scheduled(y));
            if (scheduled != 0)
            {
                return scheduled;
            }

            var phase = PhaseRank(x).CompareTo(PhaseRank(y));
            if (phase != 0)
            {
                return phase;
            }

            var ready = IsReady(x).CompareTo(IsReady(y));
            if (ready != 0)
            {
                return ready;
            }

            if (IsReady(x) && IsReady(y))
            {
                var readyFor = (now - (ReadySince(x) ?? now)).CompareTo(now - (ReadySince(y) ?? now));
                if (readyFor != 0)
                {
                    return readyFor;
                }
            }
            var restarts = Restarts(y).CompareTo(Restarts(x));
            if (restarts != 0)
            {
                return restarts;
            }

            return y.CreationTime().CompareTo(x.CreationTime());
        }

        private static bool Scheduled(JsonObject pod) => !string.IsNullOrEmpty(pod.Text("spec", "nodeName"));

        private static int PhaseRank(JsonObject pod) => pod.Text("status", "phase") switch
        {
            "Pending" or null => 0,
            "Unknown" => 1,
            _ => 2,
        };

        private static int Restarts(JsonObject pod) => pod.Objects("status", "containerStatuses").Sum(c => c.Int("restartCount") ?? 0);
    }
}
