using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Controllers;

/// <summary>
/// kube-controller-manager's persistentvolume-controller together with the dynamic provisioner and resizer of the
/// Sandbox's StorageClass (<see cref="Provisioner"/>), as a cluster with a CSI hostpath driver behaves:
/// a claim is created Pending, its volume is provisioned after <see cref="SimulationOptions.VolumeProvisioningDelay"/>
/// (a PersistentVolume <c>pvc-&lt;claim uid&gt;</c>) and the claim is bound to it; a claim whose class does not exist
/// stays Pending with a <c>ProvisioningFailed</c> warning; with <c>volumeBindingMode: WaitForFirstConsumer</c> the
/// volume is provisioned once the scheduler has picked a node for the first pod using the claim (the
/// <c>volume.kubernetes.io/selected-node</c> annotation) and is tied to that node. A grown request grows the volume
/// and, after <see cref="SimulationOptions.VolumeResizeDelay"/>, the claim's <c>status.capacity</c>.
/// Deleting a claim deletes its volume (reclaim policy Delete) or releases it (Retain).
/// </summary>
internal sealed class VolumeController(ClusterStore store, EventRecorder events, SimulationOptions options)
{
    public const string Component = "persistentvolume-controller";

    /// <summary>The provisioner of the default StorageClass; claims of classes naming another one wait for it forever.</summary>
    public const string Provisioner = "sandbox.local/hostpath";

    public const string SelectedNodeAnnotation = "volume.kubernetes.io/selected-node";

    /// <summary>How often a claim that cannot be provisioned is looked at again, as the controller's resync period.</summary>
    public static readonly TimeSpan Resync = TimeSpan.FromSeconds(15);

    private const string ProvisionerComponent = Provisioner + "_sandbox-csi-hostpath";
    private const string ResizerComponent = "external-resizer " + Provisioner;

    private readonly Dictionary<string, DateTimeOffset> provisioningDue = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> resizeDue = new(StringComparer.Ordinal);

    public static bool IsBound(JsonObject claim) => claim.Text("status", "phase") == "Bound" && !string.IsNullOrEmpty(claim.Text("spec", "volumeName"));

    public static bool WaitsForFirstConsumer(JsonObject? storageClass) => storageClass?.Text("volumeBindingMode") == "WaitForFirstConsumer";

    /// <summary>Reconciles one claim; returns when to look at it again.</summary>
    public TimeSpan? Sync(string ns, string name)
    {
        var key = ObjectFields.Key(ns, name);
        var claim = store.Get(ResourceTypes.PersistentVolumeClaims, ns, name);
        if (claim is null)
        {
            provisioningDue.Remove(key);
            resizeDue.Remove(key);
            Reclaim(ns, name);
            return null;
        }

        if (claim.IsBeingDeleted())
        {
            return null;
        }

        return IsBound(claim) ? Resize(claim, key) : Provision(claim, key);
    }

    private TimeSpan? Provision(JsonObject claim, string key)
    {
        var className = claim.Text("spec", "storageClassName");
        if (string.IsNullOrEmpty(className))
        {
            events.Normal(claim, "FailedBinding", "no persistent volumes available for this claim and no storage class is set", Component);
            return null;
        }

        var storageClass = store.Get(ResourceTypes.StorageClasses, null, className);
        if (storageClass is null)
        {
            events.Warning(claim, "ProvisioningFailed", $"storageclass.storage.k8s.io \"{className}\" not found", Component);
            return Resync;
        }

        var selectedNode = claim.Annotation(SelectedNodeAnnotation);
        if (WaitsForFirstConsumer(storageClass) && string.IsNullOrEmpty(selectedNode))
        {
            events.Normal(claim, "WaitForFirstConsumer", "waiting for first consumer to be created before binding", Component);
            return null;
        }

        var provisioner = storageClass.Text("provisioner") ?? "";
        var now = store.Time.GetUtcNow();
        if (!provisioningDue.TryGetValue(key, out var due))
        {
            events.Normal(claim, "ExternalProvisioning",
                $"Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. "
                + "If volume creation is delayed, please verify that the provisioner is running and correctly registered.", Component);
            if (provisioner != Provisioner)
            {
                // Nothing in the Sandbox provisions for another provisioner: the claim waits, as it would for a missing driver.
                return null;
            }

            var annotations = claim.Ensure("metadata", "annotations");
            if (annotations["volume.kubernetes.io/storage-provisioner"] is null)
            {
                annotations["volume.beta.kubernetes.io/storage-provisioner"] = provisioner;
                annotations["volume.kubernetes.io/storage-provisioner"] = provisioner;
                claim = store.Update(ResourceTypes.PersistentVolumeClaims, claim, ControllerManager.Manager);
            }

            events.Normal(claim, "Provisioning", $"External provisioner is provisioning volume for claim \"{claim.Namespace()}/{claim.Name()}\"", ProvisionerComponent);
            due = now + options.VolumeProvisioningDelay;
            provisioningDue[key] = due;
        }

        if (now < due)
        {
            return due - now;
        }

        provisioningDue.Remove(key);
        var volumeName = $"pvc-{claim.Uid()}";
        if (store.Get(ResourceTypes.PersistentVolumes, null, volumeName) is null)
        {
            store.Create(ResourceTypes.PersistentVolumes, Volume(claim, storageClass, volumeName, selectedNode), manager: "csi-provisioner");
            events.Normal(claim, "ProvisioningSucceeded", $"Successfully provisioned volume {volumeName}", ProvisionerComponent);
        }

        Bind(claim, volumeName);
        return null;
    }

    private static JsonObject Volume(JsonObject claim, JsonObject storageClass, string volumeName, string? selectedNode)
    {
        var spec = new JsonObject
        {
            ["accessModes"] = claim.At("spec", "accessModes")?.DeepClone() ?? new JsonArray("ReadWriteOnce"),
            ["capacity"] = new JsonObject { ["storage"] = claim.Text("spec", "resources", "requests", "storage") ?? "0" },
            ["claimRef"] = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "PersistentVolumeClaim",
                ["namespace"] = claim.Namespace(),
                ["name"] = claim.Name(),
                ["uid"] = claim.Uid(),
                ["resourceVersion"] = claim.Text("metadata", "resourceVersion"),
            },
            ["csi"] = new JsonObject
            {
                ["driver"] = Provisioner,
                ["volumeHandle"] = volumeName,
                ["fsType"] = "ext4",
            },
            ["persistentVolumeReclaimPolicy"] = storageClass.Text("reclaimPolicy") ?? "Delete",
            ["storageClassName"] = storageClass.Name(),
            ["volumeMode"] = claim.Text("spec", "volumeMode") ?? "Filesystem",
        };
        if (!string.IsNullOrEmpty(selectedNode))
        {
            // A node-local volume: its pods can only run on the node it was made on.
            spec["nodeAffinity"] = new JsonObject
            {
                ["required"] = new JsonObject
                {
                    ["nodeSelectorTerms"] = new JsonArray(new JsonObject
                    {
                        ["matchExpressions"] = new JsonArray(new JsonObject
                        {
                            ["key"] = "kubernetes.io/hostname",
                            ["operator"] = "In",
                            ["values"] = new JsonArray(selectedNode),
                        }),
                    }),
                },
            };
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PersistentVolume",
            ["metadata"] = new JsonObject
            {
                ["name"] = volumeName,
                ["annotations"] = new JsonObject { ["pv.kubernetes.io/provisioned-by"] = Provisioner, ["volume.kubernetes.io/provisioner-deletion-secret-name"] = "" },
            },
            ["spec"] = spec,
        };
    }

    private void Bind(JsonObject claim, string volumeName)
    {
        var now = ObjectFields.Timestamp(store.Time.GetUtcNow());
        if (store.Get(ResourceTypes.PersistentVolumes, null, volumeName) is { } volume && volume.Text("status", "phase") != "Bound")
        {
            volume.Ensure("status")["phase"] = "Bound";
            volume["status"]!["lastPhaseTransitionTime"] = now;
            store.UpdateStatus(ResourceTypes.PersistentVolumes, volume, ControllerManager.Manager);
        }

        claim.Ensure("spec")["volumeName"] = volumeName;
        var annotations = claim.Ensure("metadata", "annotations");
        annotations["pv.kubernetes.io/bind-completed"] = "yes";
        annotations["pv.kubernetes.io/bound-by-controller"] = "yes";
        claim = store.Update(ResourceTypes.PersistentVolumeClaims, claim, ControllerManager.Manager);
        var status = claim.Ensure("status");
        status["phase"] = "Bound";
        status["accessModes"] = claim.At("spec", "accessModes")?.DeepClone();
        status["capacity"] = new JsonObject { ["storage"] = claim.Text("spec", "resources", "requests", "storage") };
        store.UpdateStatus(ResourceTypes.PersistentVolumeClaims, claim, ControllerManager.Manager);
    }

    /// <summary>Grows the volume at once, then the claim's capacity once the file system is resized.</summary>
    private TimeSpan? Resize(JsonObject claim, string key)
    {
        var requested = claim.Text("spec", "resources", "requests", "storage");
        var capacity = claim.Text("status", "capacity", "storage");
        if (!Quantity.TryParse(requested, out var wanted) || (Quantity.TryParse(capacity, out var has) && wanted <= has))
        {
            resizeDue.Remove(key);
            return null;
        }

        var volumeName = claim.Text("spec", "volumeName")!;
        var now = store.Time.GetUtcNow();
        if (!resizeDue.TryGetValue(key, out var due))
        {
            if (store.Get(ResourceTypes.PersistentVolumes, null, volumeName) is { } volume)
            {
                volume.Ensure("spec", "capacity")["storage"] = requested;
                store.Update(ResourceTypes.PersistentVolumes, volume, "csi-resizer");
            }

            events.Normal(claim, "Resizing", $"External resizer is resizing volume {volumeName}", ResizerComponent);
            events.Normal(claim, "FileSystemResizeRequired", "Require file system resize of volume on node", ResizerComponent);
            var status = claim.Ensure("status");
            status["allocatedResources"] = new JsonObject { ["storage"] = requested };
            SetResizeCondition(status, pending: true);
            store.UpdateStatus(ResourceTypes.PersistentVolumeClaims, claim, "csi-resizer");
            due = now + options.VolumeResizeDelay;
            resizeDue[key] = due;
        }

        if (now < due)
        {
            return due - now;
        }

        resizeDue.Remove(key);
        if (store.Get(ResourceTypes.PersistentVolumes, null, volumeName) is { } grown && grown.Text("spec", "capacity", "storage") != requested)
        {
            // The request grew again while the file system was being resized.
            grown.Ensure("spec", "capacity")["storage"] = requested;
            store.Update(ResourceTypes.PersistentVolumes, grown, "csi-resizer");
        }

        claim = store.Get(ResourceTypes.PersistentVolumeClaims, claim.Namespace(), claim.Name()) ?? claim;
        var resized = claim.Ensure("status");
        resized["capacity"] = new JsonObject { ["storage"] = requested };
        SetResizeCondition(resized, pending: false);
        store.UpdateStatus(ResourceTypes.PersistentVolumeClaims, claim, "kubelet");
        events.Normal(claim, "FileSystemResizeSuccessful", $"MountVolume.NodeExpandVolume succeeded for volume \"{volumeName}\"", "kubelet");
        return null;
    }

    private void SetResizeCondition(JsonObject status, bool pending)
    {
        var conditions = status["conditions"] as JsonArray ?? [];
        foreach (var old in conditions.OfType<JsonObject>().Where(c => c.Text("type") == "FileSystemResizePending").ToList())
        {
            conditions.Remove(old);
        }

        if (pending)
        {
            conditions.Add(new JsonObject
            {
                ["type"] = "FileSystemResizePending",
                ["status"] = "True",
                ["lastProbeTime"] = null,
                ["lastTransitionTime"] = ObjectFields.Timestamp(store.Time.GetUtcNow()),
                ["message"] = "Waiting for user to (re-)start a pod to finish file system resize of volume on node.",
            });
        }

        if (conditions.Count > 0)
        {
            status["conditions"] = conditions;
        }
        else
        {
            status.Remove("conditions");
        }
    }

    /// <summary>A deleted claim's volumes: deleted with reclaim policy Delete, Released otherwise.</summary>
    private void Reclaim(string ns, string name)
    {
        foreach (var volume in store.List(ResourceTypes.PersistentVolumes, null))
        {
            if (volume.Text("spec", "claimRef", "namespace") != ns || volume.Text("spec", "claimRef", "name") != name
                || store.Get(ResourceTypes.PersistentVolumeClaims, ns, name) is { } claim && claim.Uid() == volume.Text("spec", "claimRef", "uid"))
            {
                continue;
            }

            if (volume.Text("spec", "persistentVolumeReclaimPolicy") == "Delete")
            {
                try { store.Delete(ResourceTypes.PersistentVolumes, null, volume.Name()); }
                catch (StoreException e) when (e.Code == 404) { }
            }
            else if (volume.Text("status", "phase") != "Released")
            {
                volume.Ensure("status")["phase"] = "Released";
                store.UpdateStatus(ResourceTypes.PersistentVolumes, volume, ControllerManager.Manager);
            }
        }
    }
}
