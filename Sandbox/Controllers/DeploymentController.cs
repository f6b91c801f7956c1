using System.Globalization;
using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Controllers;

/// <summary>
/// The Deployment controller, following kube-controller-manager's (deployment_controller.go, sync.go, rolling.go,
/// recreate.go, progress.go): one ReplicaSet per pod template named by its hash, RollingUpdate within maxSurge and
/// maxUnavailable or Recreate, revisions, proportional scaling, history cleanup, pausing, and the Available and
/// Progressing conditions with the progress deadline that <c>kubectl rollout status</c> reads.
/// </summary>
internal sealed class DeploymentController(ClusterStore store, EventRecorder events)
{
    public const string Component = "deployment-controller";
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    public const string RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history";
    public const string DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
    public const string MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";

    private const int MaxRevisionHistoryLengthInChars = 2000;

    // Annotations that describe the Deployment object itself, never copied onto its ReplicaSets.
    private static readonly HashSet<string> AnnotationsNotCopied =
    [
        "kubectl.kubernetes.io/last-applied-configuration",
        RevisionAnnotation,
        RevisionHistoryAnnotation,
        DesiredReplicasAnnotation,
        MaxReplicasAnnotation,
        "deprecated.deployment.rollback.to",
    ];

    // Each sync compares the Deployment's template with every ReplicaSet's; a ReplicaSet's canonical form is computed once
    // per version of it.
    private readonly CanonicalTemplates templates = new();

    private DateTimeOffset Now => store.Time.GetUtcNow();

    /// <summary>Reconciles one Deployment; returns when to look again for a progress-deadline check, if needed.</summary>
    public TimeSpan? Sync(string ns, string name)
    {
        var d = store.Get(ResourceTypes.Deployments, ns, name);
        if (d is null || d.IsBeingDeleted())
        {
            return null;
        }

        // The API server defaults these on create; a store that kept the object as sent gets them here, once.
        if (FillDefaults(d))
        {
            store.Update(ResourceTypes.Deployments, d, ControllerManager.Manager);
            return null;
        }

        var selector = LabelSelector.From(d.At("spec", "selector"));
        if (selector.IsEmpty)
        {
            events.Warning(d, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.", Component);
            if ((d.Number("status", "observedGeneration") ?? 0) < d.Generation())
            {
                d.Ensure("status")["observedGeneration"] = d.Generation();
                store.UpdateStatus(ResourceTypes.Deployments, d, ControllerManager.Manager);
            }
            return null;
        }

        var rsList = ReplicaSetsOf(d, selector);
        CheckPausedConditions(ref d);
        if (d.Flag("spec", "paused"))
        {
            return SyncScaling(ref d, rsList);
        }

        if (IsScalingEvent(ref d, rsList))
        {
            return SyncScaling(ref d, rsList);
        }

        return Strategy(d) == "Recreate" ? RolloutRecreate(ref d, rsList) : RolloutRolling(ref d, rsList);
    }

    // ---- Reading the Deployment -------------------------------------------------------------------------------

    private static int Replicas(JsonObject d) => Math.Max(0, d.Int("spec", "replicas") ?? 1);

    private static string Strategy(JsonObject d) => d.Text("spec", "strategy", "type") ?? "RollingUpdate";

    private static bool IsRolling(JsonObject d) => Strategy(d) == "RollingUpdate";

    private static (int MaxSurge, int MaxUnavailable) Fenceposts(JsonObject d) =>
        RollingUpdate.Resolve(
            IntOrPercent.Parse(d.At("spec", "strategy", "rollingUpdate", "maxSurge")) ?? IntOrPercent.TwentyFivePercent,
            IntOrPercent.Parse(d.At("spec", "strategy", "rollingUpdate", "maxUnavailable")) ?? IntOrPercent.TwentyFivePercent,
            Replicas(d));

    private static int MaxSurge(JsonObject d) => IsRolling(d) ? Fenceposts(d).MaxSurge : 0;

    private static int MaxUnavailable(JsonObject d) => IsRolling(d) && Replicas(d) > 0 ? Fenceposts(d).MaxUnavailable : 0;

    private static int? ProgressDeadlineSeconds(JsonObject d) =>
        d.Int("spec", "progressDeadlineSeconds") is { } seconds && seconds != int.MaxValue ? seconds : null;

    private static bool HasProgressDeadline(JsonObject d) => ProgressDeadlineSeconds(d) is not null;

    private static JsonObject? Template(JsonObject d) => d.At("spec", "template") as JsonObject;

    private static bool FillDefaults(JsonObject d)
    {
        var spec = d.Ensure("spec");
        var changed = false;
        void Default(JsonObject obj, string key, JsonNode value)
        {
            if (obj[key] is not null)
            {
                return;
            }

            obj[key] = value;
            changed = true;
        }
        Default(spec, "replicas", 1);
        Default(spec, "revisionHistoryLimit", 10);
        Default(spec, "progressDeadlineSeconds", 600);
        var strategy = spec.Ensure("strategy");
        Default(strategy, "type", "RollingUpdate");
        if (strategy.Text("type") == "RollingUpdate")
        {
            var rolling = strategy.Ensure("rollingUpdate");
            Default(rolling, "maxSurge", "25%");
            Default(rolling, "maxUnavailable", "25%");
        }
        return changed;
    }

    // ---- ReplicaSets ------------------------------------------------------------------------------------------

    private sealed class ReplicaSet(JsonObject obj)
    {
        public JsonObject Object { get; set; } = obj;
        public string Name => Object.Name();
        public int Replicas => Math.Max(0, Object.Int("spec", "replicas") ?? 1);
        public int StatusReplicas => Object.Int("status", "replicas") ?? 0;
        public int ReadyReplicas => Object.Int("status", "readyReplicas") ?? 0;
        public int AvailableReplicas => Object.Int("status", "availableReplicas") ?? 0;
        public DateTimeOffset Created => Object.CreationTime();
        public long Revision => long.TryParse(Object.Annotation(RevisionAnnotation), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : 0;
        public int? AnnotatedInt(string key) =>
            int.TryParse(Object.Annotation(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private static IEnumerable<ReplicaSet> ByCreation(IEnumerable<ReplicaSet> rss) =>
        rss.OrderBy(r => r.Created).ThenBy(r => r.Name, StringComparer.Ordinal);

    private static List<ReplicaSet> Active(IEnumerable<ReplicaSet?> rss) => rss.OfType<ReplicaSet>().Where(r => r.Replicas > 0).ToList();

    /// <summary>The ReplicaSets this Deployment controls, adopting orphans its selector matches (ClaimReplicaSets).</summary>
    private List<ReplicaSet> ReplicaSetsOf(JsonObject d, LabelSelector selector)
    {
        var result = new List<ReplicaSet>();
        foreach (var rs in store.List(ResourceTypes.ReplicaSets, d.Namespace()))
        {
            if (rs.IsControlledBy(d))
            {
                result.Add(new ReplicaSet(rs));
            }
            else if (rs.ControllerReference() is null && !rs.IsBeingDeleted() && selector.Matches(rs.Labels()))
            {
                var refs = rs.At("metadata", "ownerReferences") as JsonArray ?? [];
                refs.Add(ObjectFields.ControllerReferenceTo(d, ResourceTypes.Deployments));
                rs.Ensure("metadata")["ownerReferences"] = refs;
                result.Add(new ReplicaSet(store.Update(ResourceTypes.ReplicaSets, rs, ControllerManager.Manager)));
            }
        }
        return result;
    }

    private ReplicaSet? FindNewReplicaSet(JsonObject d, IEnumerable<ReplicaSet> rsList)
    {
        var wanted = PodTemplateHash.Canonical(Template(d));
        return ByCreation(rsList).FirstOrDefault(rs => templates.Of(rs.Object) == wanted);
    }

    /// <summary>getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created if asked) and all the others.</summary>
    private (ReplicaSet? New, List<ReplicaSet> Old) GetAllReplicaSetsAndSyncRevision(ref JsonObject d, List<ReplicaSet> rsList, bool createIfNotExisted)
    {
        var newRs = FindNewReplicaSet(d, rsList);
        var old = rsList.Where(rs => rs != newRs).ToList();
        newRs = GetNewReplicaSet(ref d, newRs, rsList, old, createIfNotExisted);
        return (newRs, old);
    }

    private ReplicaSet? GetNewReplicaSet(ref JsonObject d, ReplicaSet? existing, List<ReplicaSet> rsList, List<ReplicaSet> oldRss, bool createIfNotExisted)
    {
        var maxOldRevision = oldRss.Select(r => r.Revision).DefaultIfEmpty(0).Max();
        var newRevision = (maxOldRevision + 1).ToString(CultureInfo.InvariantCulture);

        if (existing is not null)
        {
            var rsCopy = existing.Object.DeepClone().AsObject();
            var annotationsUpdated = SetNewReplicaSetAnnotations(d, rsCopy, newRevision, exists: true);
            var minReadySeconds = d.Int("spec", "minReadySeconds") ?? 0;
            var minReadyNeedsUpdate = (rsCopy.Int("spec", "minReadySeconds") ?? 0) != minReadySeconds;
            if (annotationsUpdated || minReadyNeedsUpdate)
            {
                rsCopy.Ensure("spec")["minReadySeconds"] = minReadySeconds;
                existing.Object = store.Update(ResourceTypes.ReplicaSets, rsCopy, ControllerManager.Manager);
                return existing;
            }

            var before = d.DeepClone();
            SetDeploymentRevision(d, existing.Object.Annotation(RevisionAnnotation) ?? "");
            // A Deployment that never had a Progressing condition starts counting progress from finding its ReplicaSet.
            if (HasProgressDeadline(d) && d.At("status").Condition("Progressing") is null)
            {
                SetCondition(d.Ensure("status"), NewCondition("Progressing", "True", "FoundNewReplicaSet", $"Found new replica set \"{existing.Name}\""));
            }
            Save(ref d, before);
            return existing;
        }

        if (!createIfNotExisted)
        {
            return null;
        }

        var collisionCount = d.Int("status", "collisionCount");
        var template = Template(d)?.DeepClone().AsObject() ?? new JsonObject();
        var hash = PodTemplateHash.Compute(Template(d), collisionCount);
        template.Ensure("metadata", "labels")[PodTemplateHash.LabelKey] = hash;
        var selector = d.At("spec", "selector")?.DeepClone() as JsonObject ?? new JsonObject();
        selector.Ensure("matchLabels")[PodTemplateHash.LabelKey] = hash;

        var rsName = $"{d.Name()}-{hash}";
        var newRs = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = rsName,
                ["namespace"] = d.Namespace(),
                ["ownerReferences"] = new JsonArray(ObjectFields.ControllerReferenceTo(d, ResourceTypes.Deployments)),
                ["labels"] = template.At("metadata", "labels")!.DeepClone(),
            },
            ["spec"] = new JsonObject
            {
                ["replicas"] = 0,
                ["minReadySeconds"] = d.Int("spec", "minReadySeconds") ?? 0,
                ["selector"] = selector,
                ["template"] = template,
            },
        };
        var allRss = oldRss.Append(new ReplicaSet(newRs)).ToList();
        var newReplicas = NewReplicaSetReplicas(d, allRss, new ReplicaSet(newRs));
        newRs["spec"]!["replicas"] = newReplicas;
        SetNewReplicaSetAnnotations(d, newRs, newRevision, exists: false);

        var alreadyExists = false;
        JsonObject created;
        try
        {
            created = store.Create(ResourceTypes.ReplicaSets, newRs, manager: ControllerManager.Manager);
        }
        catch (StoreException e) when (e.Code == 409)
        {
            var found = store.Get(ResourceTypes.ReplicaSets, d.Namespace(), rsName);
            if (found is not null && found.IsControlledBy(d) && PodTemplateHash.SameTemplate(found.At("spec", "template"), Template(d)))
            {
                // Our own ReplicaSet from an earlier sync that this list did not show yet.
                created = found;
                alreadyExists = true;
            }
            else
            {
                // A hash collision with someone else's ReplicaSet: count it so the next hash differs.
                d.Ensure("status")["collisionCount"] = (collisionCount ?? 0) + 1;
                store.UpdateStatus(ResourceTypes.Deployments, d, ControllerManager.Manager);
                throw new StoreException(409, "AlreadyExists", $"hash collision on replica set {rsName}; retrying with collisionCount {(collisionCount ?? 0) + 1}");
            }
        }

        if (!alreadyExists && newReplicas > 0)
        {
            events.Normal(d, "ScalingReplicaSet", $"Scaled up replica set {created.Name()} from 0 to {newReplicas}", Component);
        }

        var beforeUpdate = d.DeepClone();
        SetDeploymentRevision(d, newRevision);
        if (!alreadyExists && HasProgressDeadline(d))
        {
            SetCondition(d.Ensure("status"), NewCondition("Progressing", "True", "NewReplicaSetCreated", $"Created new replica set \"{created.Name()}\""));
        }

        Save(ref d, beforeUpdate);

        var result = new ReplicaSet(created);
        rsList.Add(result);
        return result;
    }

    /// <summary>SetNewReplicaSetAnnotations: copies the Deployment's annotations and sets revision (and its history).</summary>
    private bool SetNewReplicaSetAnnotations(JsonObject d, JsonObject rs, string newRevision, bool exists)
    {
        var annotations = rs.Ensure("metadata", "annotations");
        var changed = false;
        foreach (var (key, value) in d.StringMap("metadata", "annotations"))
        {
            if (AnnotationsNotCopied.Contains(key) || annotations.Text(key) == value)
            {
                continue;
            }

            annotations[key] = value;
            changed = true;
        }

        var oldRevision = annotations.Text(RevisionAnnotation);
        long oldRevisionNumber = 0;
        if (oldRevision is not null && !long.TryParse(oldRevision, NumberStyles.Integer, CultureInfo.InvariantCulture, out oldRevisionNumber))
        {
            return false;
        }

        var newRevisionNumber = long.Parse(newRevision, CultureInfo.InvariantCulture);
        if (oldRevisionNumber < newRevisionNumber)
        {
            annotations[RevisionAnnotation] = newRevision;
            changed = true;
            // This ReplicaSet served an earlier revision: it is being rolled back to. Keep the history.
            if (oldRevision is not null)
            {
                var history = annotations.Text(RevisionHistoryAnnotation) ?? "";
                var revisions = history.Length == 0 ? [] : history.Split(',').ToList();
                revisions.Add(oldRevision);
                while (string.Join(',', revisions).Length > MaxRevisionHistoryLengthInChars && revisions.Count > 1)
                {
                    revisions.RemoveAt(0);
                }

                annotations[RevisionHistoryAnnotation] = string.Join(',', revisions);
            }
        }
        if (!exists && SetReplicasAnnotations(rs, Replicas(d), Replicas(d) + MaxSurge(d)))
        {
            changed = true;
        }

        return changed;
    }

    private static bool SetReplicasAnnotations(JsonObject rs, int desired, int max)
    {
        var annotations = rs.Ensure("metadata", "annotations");
        var changed = false;
        var desiredText = desired.ToString(CultureInfo.InvariantCulture);
        var maxText = max.ToString(CultureInfo.InvariantCulture);
        if (annotations.Text(DesiredReplicasAnnotation) != desiredText)
        {
            annotations[DesiredReplicasAnnotation] = desiredText;
            changed = true;
        }
        if (annotations.Text(MaxReplicasAnnotation) != maxText)
        {
            annotations[MaxReplicasAnnotation] = maxText;
            changed = true;
        }
        return changed;
    }

    private static void SetDeploymentRevision(JsonObject d, string revision)
    {
        if (d.Annotation(RevisionAnnotation) != revision)
        {
            d.Ensure("metadata", "annotations")[RevisionAnnotation] = revision;
        }
    }

    /// <summary>NewRSNewReplicas.</summary>
    private static int NewReplicaSetReplicas(JsonObject d, IEnumerable<ReplicaSet> allRss, ReplicaSet newRs) =>
        IsRolling(d)
            ? RollingUpdate.NewReplicaSetSize(Replicas(d), MaxSurge(d), allRss.Sum(r => r.Replicas), newRs.Replicas)
            : Replicas(d);

    // ---- Scaling ----------------------------------------------------------------------------------------------

    private bool ScaleReplicaSetAndRecordEvent(ReplicaSet rs, int newScale, JsonObject d)
    {
        if (rs.Replicas == newScale)
        {
            return false;
        }

        return ScaleReplicaSet(rs, newScale, d, rs.Replicas < newScale ? "up" : "down");
    }

    private bool ScaleReplicaSet(ReplicaSet rs, int newScale, JsonObject d, string operation)
    {
        var sizeNeedsUpdate = rs.Replicas != newScale;
        var desired = Replicas(d);
        var max = desired + MaxSurge(d);
        var annotationsNeedUpdate = rs.AnnotatedInt(DesiredReplicasAnnotation) != desired || rs.AnnotatedInt(MaxReplicasAnnotation) != max;
        if (!sizeNeedsUpdate && !annotationsNeedUpdate)
        {
            return false;
        }

        var oldScale = rs.Replicas;
        var copy = rs.Object.DeepClone().AsObject();
        copy.Ensure("spec")["replicas"] = newScale;
        SetReplicasAnnotations(copy, desired, max);
        rs.Object = store.Update(ResourceTypes.ReplicaSets, copy, ControllerManager.Manager);
        if (sizeNeedsUpdate)
        {
            events.Normal(d, "ScalingReplicaSet", $"Scaled {operation} replica set {rs.Name} from {oldScale} to {newScale}", Component);
        }

        return sizeNeedsUpdate;
    }

    /// <summary>isScalingEvent: spec.replicas differs from what an active ReplicaSet was sized for.</summary>
    private bool IsScalingEvent(ref JsonObject d, List<ReplicaSet> rsList)
    {
        var (newRs, old) = GetAllReplicaSetsAndSyncRevision(ref d, rsList, createIfNotExisted: false);
        var replicas = Replicas(d);
        return Active(old.Append(newRs)).Any(rs => rs.AnnotatedInt(DesiredReplicasAnnotation) is { } desired && desired != replicas);
    }

    /// <summary>sync: scaling (proportionally during a rollout) and, when paused, history cleanup; no rollout steps.</summary>
    private TimeSpan? SyncScaling(ref JsonObject d, List<ReplicaSet> rsList)
    {
        var (newRs, old) = GetAllReplicaSetsAndSyncRevision(ref d, rsList, createIfNotExisted: false);
        Scale(d, newRs, old);
        if (d.Flag("spec", "paused"))
        {
            CleanupDeployment(old, d);
        }

        var all = old.Append(newRs).OfType<ReplicaSet>().ToList();
        SyncDeploymentStatus(ref d, all, newRs);
        return null;
    }

    private void Scale(JsonObject d, ReplicaSet? newRs, List<ReplicaSet> oldRss)
    {
        var replicas = Replicas(d);
        if (FindActiveOrLatest(newRs, oldRss) is { } activeOrLatest)
        {
            if (activeOrLatest.Replicas != replicas)
            {
                ScaleReplicaSetAndRecordEvent(activeOrLatest, replicas, d);
            }

            return;
        }

        if (IsSaturated(d, newRs))
        {
            foreach (var old in Active(oldRss))
            {
                ScaleReplicaSetAndRecordEvent(old, 0, d);
            }

            return;
        }

        if (!IsRolling(d))
        {
            return;
        }

        var allRss = Active(oldRss.Append(newRs));
        var allReplicas = allRss.Sum(r => r.Replicas);
        var allowedSize = replicas > 0 ? replicas + MaxSurge(d) : 0;
        var toAdd = allowedSize - allReplicas;
        string operation;
        if (toAdd > 0)
        {
            // Scaling up: bigger ReplicaSets first, and newer ones first among equals.
            allRss = allRss.OrderByDescending(r => r.Replicas).ThenByDescending(r => r.Created).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
            operation = "up";
        }
        else if (toAdd < 0)
        {
            // Scaling down: bigger ReplicaSets first, and older ones first among equals.
            allRss = allRss.OrderByDescending(r => r.Replicas).ThenBy(r => r.Created).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
            operation = "down";
        }
        else
        {
            operation = "";
        }

        var added = 0;
        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var rs in allRss)
        {
            if (toAdd == 0)
            {
                sizes[rs.Name] = rs.Replicas;
                continue;
            }
            var proportion = Proportion(rs, d, toAdd, added);
            sizes[rs.Name] = rs.Replicas + proportion;
            added += proportion;
        }
        for (var i = 0; i < allRss.Count; i++)
        {
            var rs = allRss[i];
            // Whatever rounding left over goes to the largest ReplicaSet.
            if (i == 0 && toAdd != 0)
            {
                sizes[rs.Name] = Math.Max(0, sizes[rs.Name] + toAdd - added);
            }

            ScaleReplicaSet(rs, sizes[rs.Name], d, operation);
        }
    }

    private static ReplicaSet? FindActiveOrLatest(ReplicaSet? newRs, List<ReplicaSet> oldRss)
    {
        if (newRs is null && oldRss.Count == 0)
        {
            return null;
        }

        var newestFirst = oldRss.OrderByDescending(r => r.Created).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
        var active = Active(newestFirst.Append(newRs));
        return active.Count switch
        {
            0 => newRs ?? newestFirst[0],
            1 => active[0],
            _ => null,
        };
    }

    private static bool IsSaturated(JsonObject d, ReplicaSet? rs) =>
        rs is not null && rs.Replicas == Replicas(d) && rs.AnnotatedInt(DesiredReplicasAnnotation) == Replicas(d);

    /// <summary>GetProportion: this ReplicaSet's share of the replicas being added (or removed).</summary>
    private static int Proportion(ReplicaSet rs, JsonObject d, int toAdd, int added)
    {
        if (rs.Replicas == 0 || toAdd == 0 || toAdd == added)
        {
            return 0;
        }

        var fraction = ReplicaSetFraction(rs, d);
        var allowed = toAdd - added;
        return toAdd > 0 ? Math.Min(fraction, allowed) : Math.Max(fraction, allowed);
    }

    private static int ReplicaSetFraction(ReplicaSet rs, JsonObject d)
    {
        if (Replicas(d) == 0)
        {
            return -rs.Replicas;
        }

        var deploymentReplicas = Replicas(d) + MaxSurge(d);
        var annotated = rs.AnnotatedInt(MaxReplicasAnnotation) ?? (d.Int("status", "replicas") ?? 0);
        if (annotated == 0)
        {
            return 0;
        }

        var newSize = (double)rs.Replicas * deploymentReplicas / annotated;
        return (int)Math.Round(newSize, MidpointRounding.AwayFromZero) - rs.Replicas;
    }

    // ---- Rolling update and Recreate --------------------------------------------------------------------------

    private TimeSpan? RolloutRolling(ref JsonObject d, List<ReplicaSet> rsList)
    {
        var (newRs, old) = GetAllReplicaSetsAndSyncRevision(ref d, rsList, createIfNotExisted: true);
        var all = old.Append(newRs).OfType<ReplicaSet>().ToList();

        if (newRs is not null && ReconcileNewReplicaSet(all, newRs, d))
        {
            return SyncRolloutStatus(ref d, all, newRs);
        }

        if (newRs is not null && ReconcileOldReplicaSets(Active(old), newRs, d))
        {
            return SyncRolloutStatus(ref d, all, newRs);
        }

        if (DeploymentComplete(d, d["status"] as JsonObject))
        {
            CleanupDeployment(old, d);
        }

        return SyncRolloutStatus(ref d, all, newRs);
    }

    private bool ReconcileNewReplicaSet(List<ReplicaSet> all, ReplicaSet newRs, JsonObject d)
    {
        var replicas = Replicas(d);
        if (newRs.Replicas == replicas)
        {
            return false;
        }

        if (newRs.Replicas > replicas)
        {
            return ScaleReplicaSetAndRecordEvent(newRs, replicas, d);
        }

        return ScaleReplicaSetAndRecordEvent(newRs, NewReplicaSetReplicas(d, all, newRs), d);
    }

    private bool ReconcileOldReplicaSets(List<ReplicaSet> oldActive, ReplicaSet newRs, JsonObject d)
    {
        var ordered = ByCreation(oldActive).ToList();
        // A ReplicaSet just scaled down may still report the pods it had; never count more available pods than it keeps.
        var counts = ordered.Select(r => new ReplicaSetCount(r.Replicas, Math.Min(r.AvailableReplicas, r.Replicas))).ToList();
        var sizes = RollingUpdate.OldReplicaSetSizes(Replicas(d), MaxUnavailable(d), new ReplicaSetCount(newRs.Replicas, newRs.AvailableReplicas), counts);
        var scaled = false;
        for (var i = 0; i < ordered.Count; i++)
        {
            if (sizes[i] != ordered[i].Replicas)
            {
                scaled |= ScaleReplicaSetAndRecordEvent(ordered[i], sizes[i], d);
            }
        }
        return scaled;
    }

    private TimeSpan? RolloutRecreate(ref JsonObject d, List<ReplicaSet> rsList)
    {
        // No new ReplicaSet until the old pods are gone: Recreate never runs old and new side by side.
        var (newRs, old) = GetAllReplicaSetsAndSyncRevision(ref d, rsList, createIfNotExisted: false);
        var all = old.Append(newRs).OfType<ReplicaSet>().ToList();

        var scaledDown = false;
        foreach (var rs in Active(old))
        {
            scaledDown |= ScaleReplicaSetAndRecordEvent(rs, 0, d);
        }

        if (scaledDown)
        {
            return SyncRolloutStatus(ref d, all, newRs);
        }

        if (OldPodsRunning(d, newRs, old))
        {
            return SyncRolloutStatus(ref d, all, newRs);
        }

        if (newRs is null)
        {
            (newRs, old) = GetAllReplicaSetsAndSyncRevision(ref d, rsList, createIfNotExisted: true);
            all = old.Append(newRs).OfType<ReplicaSet>().ToList();
        }
        if (newRs is not null)
        {
            ScaleReplicaSetAndRecordEvent(newRs, Replicas(d), d);
        }

        if (DeploymentComplete(d, d["status"] as JsonObject))
        {
            CleanupDeployment(old, d);
        }

        return SyncRolloutStatus(ref d, all, newRs);
    }

    private bool OldPodsRunning(JsonObject d, ReplicaSet? newRs, List<ReplicaSet> old)
    {
        if (old.Sum(r => r.StatusReplicas) > 0)
        {
            return true;
        }

        var oldUids = old.Select(r => r.Object.Uid()).ToHashSet(StringComparer.Ordinal);
        return store.List(ResourceTypes.Pods, d.Namespace()).Any(p =>
            p.ControllerReference()?.Text("uid") is { } owner && oldUids.Contains(owner) && p.Text("status", "phase") is not ("Succeeded" or "Failed"));
    }

    /// <summary>cleanupDeployment: deletes the oldest empty ReplicaSets beyond revisionHistoryLimit.</summary>
    private void CleanupDeployment(List<ReplicaSet> oldRss, JsonObject d)
    {
        if (d.Int("spec", "revisionHistoryLimit") is not { } limit)
        {
            return;
        }

        var cleanable = oldRss.Where(r => !r.Object.IsBeingDeleted()).ToList();
        var diff = cleanable.Count - limit;
        if (diff <= 0)
        {
            return;
        }

        foreach (var rs in cleanable.OrderBy(r => r.Revision).ThenBy(r => r.Created).Take(diff))
        {
            if (rs.StatusReplicas != 0 || rs.Replicas != 0 || rs.Object.Generation() > (rs.Object.Number("status", "observedGeneration") ?? 0))
            {
                continue;
            }

            try { store.Delete(ResourceTypes.ReplicaSets, rs.Object.Namespace(), rs.Name); }
            catch (StoreException e) when (e.Code == 404) { }
        }
    }

    // ---- Status and conditions --------------------------------------------------------------------------------

    private JsonObject CalculateStatus(List<ReplicaSet> all, ReplicaSet? newRs, JsonObject d)
    {
        var available = all.Sum(r => r.AvailableReplicas);
        var total = all.Sum(r => r.Replicas);
        var status = new JsonObject
        {
            ["observedGeneration"] = d.Generation(),
            ["replicas"] = all.Sum(r => r.StatusReplicas),
            ["updatedReplicas"] = newRs?.StatusReplicas ?? 0,
            ["readyReplicas"] = all.Sum(r => r.ReadyReplicas),
            ["availableReplicas"] = available,
            ["unavailableReplicas"] = Math.Max(0, total - available),
        };
        // The API server leaves zero counts out (omitempty); so does this, for identical-looking objects.
        foreach (var field in new[] { "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas" })
        {
            if (status.Int(field) == 0)
            {
                status.Remove(field);
            }
        }
        var conditions = new JsonArray();
        foreach (var condition in d.Objects("status", "conditions"))
        {
            conditions.Add(condition.DeepClone());
        }

        status["conditions"] = conditions;
        if (d.Int("status", "collisionCount") is { } collisions)
        {
            status["collisionCount"] = collisions;
        }

        if (available >= Replicas(d) - MaxUnavailable(d))
        {
            SetCondition(status, NewCondition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."));
        }
        else
        {
            SetCondition(status, NewCondition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."));
        }

        return status;
    }

    private void SyncDeploymentStatus(ref JsonObject d, List<ReplicaSet> all, ReplicaSet? newRs)
    {
        var status = CalculateStatus(all, newRs, d);
        if (JsonNode.DeepEquals(status, d["status"]))
        {
            return;
        }

        d["status"] = status;
        d = store.UpdateStatus(ResourceTypes.Deployments, d, ControllerManager.Manager);
    }

    /// <summary>syncRolloutStatus: status plus the Progressing condition (complete, progressing, or timed out).</summary>
    private TimeSpan? SyncRolloutStatus(ref JsonObject d, List<ReplicaSet> all, ReplicaSet? newRs)
    {
        var newStatus = CalculateStatus(all, newRs, d);
        if (!HasProgressDeadline(d))
        {
            RemoveCondition(newStatus, "Progressing");
        }

        var currentCond = d.At("status").Condition("Progressing");
        var isCompleteDeployment = (newStatus.Int("replicas") ?? 0) == (newStatus.Int("updatedReplicas") ?? 0)
            && currentCond?.Text("reason") == "NewReplicaSetAvailable";
        if (HasProgressDeadline(d) && !isCompleteDeployment)
        {
            if (DeploymentComplete(d, newStatus))
            {
                var message = newRs is not null ? $"ReplicaSet \"{newRs.Name}\" has successfully progressed." : $"Deployment \"{d.Name()}\" has successfully progressed.";
                SetCondition(newStatus, NewCondition("Progressing", "True", "NewReplicaSetAvailable", message));
            }
            else if (DeploymentProgressing(d, newStatus))
            {
                var message = newRs is not null ? $"ReplicaSet \"{newRs.Name}\" is progressing." : $"Deployment \"{d.Name()}\" is progressing.";
                var condition = NewCondition("Progressing", "True", "ReplicaSetUpdated", message);
                // Progress moves lastUpdateTime even with an unchanged reason: that is what the deadline counts from.
                if (currentCond is not null)
                {
                    if (currentCond.Text("status") == "True")
                    {
                        condition["lastTransitionTime"] = currentCond.Text("lastTransitionTime");
                    }

                    RemoveCondition(newStatus, "Progressing");
                }
                SetCondition(newStatus, condition);
            }
            else if (DeploymentTimedOut(d, newStatus))
            {
                var message = newRs is not null ? $"ReplicaSet \"{newRs.Name}\" has timed out progressing." : $"Deployment \"{d.Name()}\" has timed out progressing.";
                SetCondition(newStatus, NewCondition("Progressing", "False", "ProgressDeadlineExceeded", message));
            }
        }

        if (JsonNode.DeepEquals(newStatus, d["status"]))
        {
            return RequeueStuckDeployment(d, newStatus);
        }

        d["status"] = newStatus;
        d = store.UpdateStatus(ResourceTypes.Deployments, d, ControllerManager.Manager);
        return null;
    }

    private static bool DeploymentComplete(JsonObject d, JsonObject? status)
    {
        var replicas = Replicas(d);
        return (status.Int("updatedReplicas") ?? 0) == replicas
            && (status.Int("replicas") ?? 0) == replicas
            && (status.Int("availableReplicas") ?? 0) == replicas
            && (status.Number("observedGeneration") ?? 0) >= d.Generation();
    }

    private static bool DeploymentProgressing(JsonObject d, JsonObject newStatus)
    {
        var old = d["status"];
        var oldOldReplicas = (old.Int("replicas") ?? 0) - (old.Int("updatedReplicas") ?? 0);
        var newOldReplicas = (newStatus.Int("replicas") ?? 0) - (newStatus.Int("updatedReplicas") ?? 0);
        return (newStatus.Int("updatedReplicas") ?? 0) > (old.Int("updatedReplicas") ?? 0)
            || newOldReplicas < oldOldReplicas
            || (newStatus.Int("availableReplicas") ?? 0) > (old.Int("availableReplicas") ?? 0);
    }

    private bool DeploymentTimedOut(JsonObject d, JsonObject newStatus)
    {
        if (ProgressDeadlineSeconds(d) is not { } deadline)
        {
            return false;
        }

        var condition = newStatus.Condition("Progressing");
        if (condition is null)
        {
            return false;
        }
        // A finished rollout is not judged against the deadline until a new one starts.
        if (condition.Text("reason") == "NewReplicaSetAvailable")
        {
            return false;
        }

        if (condition.Text("reason") == "ProgressDeadlineExceeded")
        {
            return true;
        }

        var from = ObjectFields.ParseTime(condition.Text("lastUpdateTime"));
        return from is { } lastUpdate && lastUpdate + TimeSpan.FromSeconds(deadline) < Now;
    }

    /// <summary>requeueStuckDeployment: come back when the deadline would pass without progress.</summary>
    private TimeSpan? RequeueStuckDeployment(JsonObject d, JsonObject newStatus)
    {
        var currentCond = d.At("status").Condition("Progressing");
        if (ProgressDeadlineSeconds(d) is not { } deadline || currentCond is null)
        {
            return null;
        }

        if (DeploymentComplete(d, newStatus) || currentCond.Text("reason") == "ProgressDeadlineExceeded")
        {
            return null;
        }

        if (ObjectFields.ParseTime(currentCond.Text("lastUpdateTime")) is not { } lastUpdate)
        {
            return null;
        }

        var after = lastUpdate + TimeSpan.FromSeconds(deadline) - Now;
        return after < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : after + TimeSpan.FromSeconds(1);
    }

    private void CheckPausedConditions(ref JsonObject d)
    {
        if (!HasProgressDeadline(d))
        {
            return;
        }

        var condition = d.At("status").Condition("Progressing");
        // A reported lack of progress stays visible; pausing does not overwrite it.
        if (condition?.Text("reason") == "ProgressDeadlineExceeded")
        {
            return;
        }

        var pausedConditionExists = condition?.Text("reason") == "DeploymentPaused";
        var paused = d.Flag("spec", "paused");
        JsonObject? next = null;
        if (paused && !pausedConditionExists)
        {
            next = NewCondition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused");
        }
        else if (!paused && pausedConditionExists)
        {
            next = NewCondition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed");
        }

        if (next is null)
        {
            return;
        }

        SetCondition(d.Ensure("status"), next);
        d = store.UpdateStatus(ResourceTypes.Deployments, d, ControllerManager.Manager);
    }

    private JsonObject NewCondition(string type, string status, string reason, string message)
    {
        var now = ObjectFields.Timestamp(Now);
        return new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["lastUpdateTime"] = now,
            ["lastTransitionTime"] = now,
            ["reason"] = reason,
            ["message"] = message,
        };
    }

    /// <summary>SetDeploymentCondition: same status and reason is no change; same status keeps lastTransitionTime.</summary>
    private static void SetCondition(JsonObject status, JsonObject condition)
    {
        var type = condition.Text("type")!;
        var current = status.Condition(type);
        if (current is not null && current.Text("status") == condition.Text("status") && current.Text("reason") == condition.Text("reason"))
        {
            return;
        }

        if (current is not null && current.Text("status") == condition.Text("status"))
        {
            condition["lastTransitionTime"] = current.Text("lastTransitionTime");
        }

        RemoveCondition(status, type);
        var conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        conditions.Add(condition);
    }

    private static void RemoveCondition(JsonObject status, string type)
    {
        if (status["conditions"] is not JsonArray conditions)
        {
            return;
        }

        foreach (var c in conditions.OfType<JsonObject>().Where(c => c.Text("type") == type).ToList())
        {
            conditions.Remove(c);
        }
    }

    /// <summary>Writes what changed on <paramref name="d"/> since <paramref name="before"/>: metadata through an update, status through /status.</summary>
    private void Save(ref JsonObject d, JsonNode before)
    {
        if (!JsonNode.DeepEquals(d["metadata"], before["metadata"]))
        {
            var status = d["status"]?.DeepClone();
            d = store.Update(ResourceTypes.Deployments, d, ControllerManager.Manager);
            d["status"] = status;
        }
        if (!JsonNode.DeepEquals(d["status"], before["status"]))
        {
            d = store.UpdateStatus(ResourceTypes.Deployments, d, ControllerManager.Manager);
        }
    }
}
