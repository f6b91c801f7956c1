using System.Text.Json.Nodes;
using Sandbox.Controllers;
using Sandbox.Store;

namespace Sandbox.Tests.Controllers;

/// <summary>Claims, their provisioned volumes, and pods that mount them, on a fake clock.</summary>
public sealed class PersistentVolumeTests
{
    private const string Ns = SimulatedCluster.Namespace;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task AClaimIsCreatedPendingAndBoundShortlyAfterToAProvisionedVolume()
    {
        using var cluster = new SimulatedCluster();

        var created = cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "1Gi"));
        await cluster.Settle();

        Assert.Equal("Pending", (string?)created["status"]!["phase"]);
        Assert.Equal("Pending", Phase(cluster, "data"));
        Assert.Empty(cluster.Store.List(ResourceTypes.PersistentVolumes, null));
        Assert.Contains("external provisioner 'sandbox.local/hostpath'", Message(cluster, "ExternalProvisioning"));
        Assert.Equal("External provisioner is provisioning volume for claim \"default/data\"", Message(cluster, "Provisioning"));

        var waited = await cluster.AdvanceUntil(() => Phase(cluster, "data") == "Bound", TimeSpan.FromSeconds(5), Step, "claim bound");

        Assert.InRange(waited, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        var claim = cluster.Store.Get(ResourceTypes.PersistentVolumeClaims, Ns, "data")!;
        var volumeName = $"pvc-{claim["metadata"]!["uid"]}";
        Assert.Equal(volumeName, (string?)claim["spec"]!["volumeName"]);
        Assert.Equal("1Gi", (string?)claim["status"]!["capacity"]!["storage"]);
        Assert.Equal("ReadWriteOnce", (string?)claim["status"]!["accessModes"]![0]);
        Assert.Equal("yes", (string?)claim["metadata"]!["annotations"]!["pv.kubernetes.io/bind-completed"]);
        var volume = cluster.Store.Get(ResourceTypes.PersistentVolumes, null, volumeName)!;
        Assert.Equal(("Bound", "1Gi", "Delete", "standard"), ((string?)volume["status"]!["phase"], (string?)volume["spec"]!["capacity"]!["storage"],
            (string?)volume["spec"]!["persistentVolumeReclaimPolicy"], (string?)volume["spec"]!["storageClassName"]));
        Assert.Equal(("default", "data", (string?)claim["metadata"]!["uid"]), ((string?)volume["spec"]!["claimRef"]!["namespace"],
            (string?)volume["spec"]!["claimRef"]!["name"], (string?)volume["spec"]!["claimRef"]!["uid"]));
        Assert.Equal($"Successfully provisioned volume {volumeName}", Message(cluster, "ProvisioningSucceeded"));
    }

    [Fact]
    public async Task AClaimBindsWithinTheFirstLookWhenTheProvisioningDelayIsZero()
    {
        using var cluster = new SimulatedCluster(new SimulationOptions { VolumeProvisioningDelay = TimeSpan.Zero });

        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "1Gi"));
        await cluster.Settle();

        Assert.Equal("Bound", Phase(cluster, "data"));
    }

    [Fact]
    public async Task AClaimOfAStorageClassThatDoesNotExistStaysPendingWithAProvisioningFailedWarning()
    {
        using var cluster = new SimulatedCluster();

        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "1Gi", storageClass: "fast"));
        await cluster.AdvanceUntil(() => cluster.Events("ProvisioningFailed").Count > 0, TimeSpan.FromSeconds(5), Step);
        cluster.Time.Advance(TimeSpan.FromMinutes(1));
        await cluster.Settle();

        Assert.Equal("Pending", Phase(cluster, "data"));
        Assert.Empty(cluster.Store.List(ResourceTypes.PersistentVolumes, null));
        var failed = Assert.Single(cluster.Events("ProvisioningFailed"));
        Assert.Equal(("Warning", "storageclass.storage.k8s.io \"fast\" not found", "persistentvolume-controller"),
            ((string?)failed["type"], (string?)failed["message"], (string?)failed["source"]!["component"]));
        Assert.True((int?)failed["count"] > 1, "the controller keeps trying and counts the failures");

        cluster.Store.Create(ResourceTypes.StorageClasses, StorageClass("fast"));
        await cluster.AdvanceUntil(() => Phase(cluster, "data") == "Bound", TimeSpan.FromSeconds(5), Step, "claim bound once its class exists");
    }

    [Fact]
    public async Task AClaimWithoutAClassGetsTheNewestDefaultClassAndAnEmptyClassMeansNone()
    {
        using var cluster = new SimulatedCluster();
        cluster.Time.Advance(TimeSpan.FromMinutes(1));
        var fast = StorageClass("fast");
        fast["metadata"]!["annotations"] = new JsonObject { ["storageclass.kubernetes.io/is-default-class"] = "true" };
        cluster.Store.Create(ResourceTypes.StorageClasses, fast);

        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "1Gi"));
        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("static", "1Gi", storageClass: ""));
        await cluster.AdvanceUntil(() => Phase(cluster, "data") == "Bound", TimeSpan.FromSeconds(5), Step);

        Assert.Equal("fast", (string?)cluster.Store.Get(ResourceTypes.PersistentVolumeClaims, Ns, "data")!["spec"]!["storageClassName"]);
        Assert.Equal("Pending", Phase(cluster, "static"));
        Assert.Equal("no persistent volumes available for this claim and no storage class is set", Message(cluster, "FailedBinding"));
    }

    [Fact]
    public async Task APodMountingAMissingOrUnboundClaimStaysUnscheduledWithTheSchedulersMessageUntilTheClaimIsBound()
    {
        using var cluster = new SimulatedCluster();

        cluster.Store.Create(ResourceTypes.Pods, Pod("db", "data"));
        await cluster.Settle();

        var pod = cluster.Store.Get(ResourceTypes.Pods, Ns, "db")!;
        Assert.Null(pod["spec"]!["nodeName"]);
        Assert.Equal("Pending", (string?)pod["status"]!["phase"]);
        var scheduled = SimulatedCluster.Condition(pod, "PodScheduled")!;
        Assert.Equal(("False", "Unschedulable"), ((string?)scheduled["status"], (string?)scheduled["reason"]));
        Assert.Equal("0/3 nodes are available: persistentvolumeclaim \"data\" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
            (string?)scheduled["message"]);
        Assert.Equal((string?)scheduled["message"], Message(cluster, "FailedScheduling"));

        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "1Gi"));
        await cluster.Settle();

        Assert.Null(cluster.Store.Get(ResourceTypes.Pods, Ns, "db")!["spec"]!["nodeName"]);
        Assert.Contains(cluster.Events("FailedScheduling"), e => (string?)e["message"]
            == "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");

        await cluster.AdvanceUntil(() => cluster.Store.Get(ResourceTypes.Pods, Ns, "db")!["spec"]!["nodeName"] is not null, TimeSpan.FromSeconds(5), Step, "pod scheduled");
        Assert.Equal("Bound", Phase(cluster, "data"));
        Assert.Single(cluster.Events("Scheduled"));
        await cluster.AdvanceUntil(() => (string?)cluster.Store.Get(ResourceTypes.Pods, Ns, "db")!["status"]!["phase"] == "Running", TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task ADeploymentWithAClaimVolumeRollsOutOnceTheClaimBinds()
    {
        using var cluster = new SimulatedCluster();
        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("web-data", "2Gi"));
        var deployment = SimulatedCluster.NewDeployment("web", "nginx:1.25", replicas: 1);
        MountClaim(deployment["spec"]!["template"]!["spec"]!.AsObject(), "web-data");
        cluster.Store.Create(ResourceTypes.Deployments, deployment);
        await cluster.Settle();

        Assert.Equal("Pending", Phase(cluster, "web-data"));
        Assert.All(cluster.PodsOf("web"), p => Assert.Null(p["spec"]!["nodeName"]));
        Assert.Contains("pod has unbound immediate PersistentVolumeClaims", Message(cluster, "FailedScheduling"));

        await cluster.AdvanceUntil(() => cluster.RolledOut("web"), TimeSpan.FromMinutes(1), Step, "rollout");

        Assert.Equal("Bound", Phase(cluster, "web-data"));
    }

    [Fact]
    public async Task WaitForFirstConsumerProvisionsOnTheNodeOfTheFirstPodAndKeepsItsPodsThere()
    {
        using var cluster = new SimulatedCluster();
        var local = StorageClass("local");
        local["volumeBindingMode"] = "WaitForFirstConsumer";
        cluster.Store.Create(ResourceTypes.StorageClasses, local);
        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "1Gi", storageClass: "local"));
        cluster.Time.Advance(TimeSpan.FromMinutes(1));
        await cluster.Settle();

        Assert.Equal("Pending", Phase(cluster, "data"));
        Assert.Equal("waiting for first consumer to be created before binding", Message(cluster, "WaitForFirstConsumer"));
        Assert.Empty(cluster.Store.List(ResourceTypes.PersistentVolumes, null));

        cluster.Store.Create(ResourceTypes.Pods, Pod("first", "data"));
        await cluster.AdvanceUntil(() => NodeOf(cluster, "first") is not null, TimeSpan.FromSeconds(5), Step, "first pod scheduled");

        var claim = cluster.Store.Get(ResourceTypes.PersistentVolumeClaims, Ns, "data")!;
        var node = NodeOf(cluster, "first");
        Assert.Equal(node, (string?)claim["metadata"]!["annotations"]![VolumeController.SelectedNodeAnnotation]);
        Assert.Equal("Bound", (string?)claim["status"]!["phase"]);
        var volume = cluster.Store.Get(ResourceTypes.PersistentVolumes, null, (string)claim["spec"]!["volumeName"]!)!;
        Assert.Equal(node, (string?)volume["spec"]!["nodeAffinity"]!["required"]!["nodeSelectorTerms"]![0]!["matchExpressions"]![0]!["values"]![0]);
        Assert.DoesNotContain(cluster.Events("FailedScheduling"), e => (string?)e["involvedObject"]!["name"] == "first");

        // ReadWriteOnce lets pods on the same node share the volume; the volume keeps them on its node.
        for (var i = 0; i < 3; i++)
        {
            cluster.Store.Create(ResourceTypes.Pods, Pod($"next-{i}", "data"));
        }

        await cluster.AdvanceUntil(() => Enumerable.Range(0, 3).All(i => NodeOf(cluster, $"next-{i}") is not null), TimeSpan.FromSeconds(5), Step);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(node, NodeOf(cluster, $"next-{i}")));
    }

    [Fact]
    public async Task AReadWriteOncePodClaimAdmitsOnePodAtATime()
    {
        using var cluster = new SimulatedCluster();
        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "1Gi", accessMode: "ReadWriteOncePod"));
        cluster.Store.Create(ResourceTypes.Pods, Pod("first", "data"));
        await cluster.AdvanceUntil(() => NodeOf(cluster, "first") is not null, TimeSpan.FromSeconds(5), Step);

        cluster.Store.Create(ResourceTypes.Pods, Pod("second", "data"));
        await cluster.Settle();

        Assert.Null(NodeOf(cluster, "second"));
        Assert.Equal("0/3 nodes are available: 3 node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode.",
            (string?)SimulatedCluster.Condition(cluster.Store.Get(ResourceTypes.Pods, Ns, "second")!, "PodScheduled")!["message"]);

        cluster.Store.Delete(ResourceTypes.Pods, Ns, "first");
        await cluster.AdvanceUntil(() => NodeOf(cluster, "second") is not null, TimeSpan.FromSeconds(5), Step, "second pod scheduled once the first is gone");
    }

    [Fact]
    public async Task AReadWriteOnceVolumeInUseOnOneNodeCannotBeAttachedOnAnotherButIsSharedOnTheSameNode()
    {
        using var cluster = new SimulatedCluster();
        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "1Gi"));
        cluster.Store.Create(ResourceTypes.Pods, Pod("first", "data", node: "sandbox-node-1"));
        await cluster.AdvanceUntil(() => PodPhase(cluster, "first") == "Running", TimeSpan.FromMinutes(1), Step);

        cluster.Store.Create(ResourceTypes.Pods, Pod("elsewhere", "data", node: "sandbox-node-2"));
        cluster.Store.Create(ResourceTypes.Pods, Pod("beside", "data", node: "sandbox-node-1"));
        await cluster.AdvanceUntil(() => PodPhase(cluster, "beside") == "Running", TimeSpan.FromMinutes(1), Step);
        cluster.Time.Advance(TimeSpan.FromSeconds(30));
        await cluster.Settle();

        var waiting = cluster.Store.Get(ResourceTypes.Pods, Ns, "elsewhere")!;
        Assert.Equal("Pending", (string?)waiting["status"]!["phase"]);
        Assert.Equal("ContainerCreating", (string?)waiting["status"]!["containerStatuses"]![0]!["state"]!["waiting"]!["reason"]);
        var volumeName = (string?)cluster.Store.Get(ResourceTypes.PersistentVolumeClaims, Ns, "data")!["spec"]!["volumeName"];
        Assert.All(cluster.Events("FailedAttachVolume"), e => Assert.Equal("elsewhere", (string?)e["involvedObject"]!["name"]));
        var failed = cluster.Events("FailedAttachVolume").OrderBy(e => (string?)e["lastTimestamp"]).Last();
        Assert.Equal(("Warning", $"Multi-Attach error for volume \"{volumeName}\" Volume is already used by pod(s) beside, first"),
            ((string?)failed["type"], (string?)failed["message"]));

        cluster.Store.Delete(ResourceTypes.Pods, Ns, "first");
        cluster.Store.Delete(ResourceTypes.Pods, Ns, "beside");
        await cluster.AdvanceUntil(() => PodPhase(cluster, "elsewhere") == "Running", TimeSpan.FromMinutes(1), Step, "the pod to run once the volume is free");
    }

    [Fact]
    public async Task AReadWriteOnceVolumeBlocksARollingUpdateOnAnotherNodeButNotARecreate()
    {
        using var cluster = new SimulatedCluster();
        foreach (var strategy in new[] { "RollingUpdate", "Recreate" })
        {
            var name = strategy.ToLowerInvariant();
            cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim($"{name}-data", "1Gi"));
            var deployment = SimulatedCluster.NewDeployment(name, "postgres:16", replicas: 1, cpu: "1");
            deployment["spec"]!["strategy"] = new JsonObject { ["type"] = strategy };
            MountClaim(deployment["spec"]!["template"]!["spec"]!.AsObject(), $"{name}-data");
            cluster.Store.Create(ResourceTypes.Deployments, deployment);
        }

        await cluster.AdvanceUntil(() => cluster.RolledOut("rollingupdate") && cluster.RolledOut("recreate"), TimeSpan.FromMinutes(1), Step);
        cluster.UpdateDeployment("rollingupdate", d => SimulatedCluster.SetImage(d, "postgres:17"));
        cluster.UpdateDeployment("recreate", d => SimulatedCluster.SetImage(d, "postgres:17"));

        await cluster.AdvanceUntil(() => cluster.RolledOut("recreate"), TimeSpan.FromMinutes(1), Step, "the Recreate rollout");
        cluster.Time.Advance(TimeSpan.FromMinutes(1));
        await cluster.Settle();

        Assert.False(cluster.RolledOut("rollingupdate"));
        Assert.Equal(2, cluster.PodsOf("rollingupdate").Count);
        Assert.Contains(cluster.Events("FailedAttachVolume"), e => ((string?)e["involvedObject"]!["name"])!.StartsWith("rollingupdate-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AGrownClaimGrowsItsVolumeAndThenItsCapacity()
    {
        using var cluster = new SimulatedCluster();
        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "1Gi"));
        await cluster.AdvanceUntil(() => Phase(cluster, "data") == "Bound", TimeSpan.FromSeconds(5), Step);

        Resize(cluster, "data", "5Gi");
        await cluster.Settle();

        var claim = cluster.Store.Get(ResourceTypes.PersistentVolumeClaims, Ns, "data")!;
        Assert.Equal("1Gi", (string?)claim["status"]!["capacity"]!["storage"]);
        Assert.Equal("True", (string?)SimulatedCluster.Condition(claim, "FileSystemResizePending")!["status"]);
        Assert.Equal("5Gi", (string?)cluster.Store.Get(ResourceTypes.PersistentVolumes, null, (string)claim["spec"]!["volumeName"]!)!["spec"]!["capacity"]!["storage"]);

        await cluster.AdvanceUntil(() => Capacity(cluster, "data") == "5Gi", TimeSpan.FromSeconds(5), Step, "capacity grown");

        claim = cluster.Store.Get(ResourceTypes.PersistentVolumeClaims, Ns, "data")!;
        Assert.Null(SimulatedCluster.Condition(claim, "FileSystemResizePending"));
        Assert.Single(cluster.Events("FileSystemResizeSuccessful"));
    }

    [Fact]
    public async Task AShrunkClaimIsRefusedAsInvalidAndNothingChanges()
    {
        using var cluster = new SimulatedCluster();
        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "2Gi"));
        await cluster.AdvanceUntil(() => Phase(cluster, "data") == "Bound", TimeSpan.FromSeconds(5), Step);
        var before = cluster.Store.ResourceVersion;

        var refused = Assert.Throws<StoreException>(() => Resize(cluster, "data", "1Gi"));

        Assert.Equal((422, "Invalid"), (refused.Code, refused.Reason));
        Assert.Equal("PersistentVolumeClaim \"data\" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than previous value", refused.Message);
        Assert.Equal(("FieldValueForbidden", "spec.resources.requests.storage"), (refused.Causes[0].Reason, refused.Causes[0].Field));
        Assert.Equal(before, cluster.Store.ResourceVersion);
        Assert.Equal("2Gi", (string?)cluster.Store.Get(ResourceTypes.PersistentVolumeClaims, Ns, "data")!["spec"]!["resources"]!["requests"]!["storage"]);
    }

    [Fact]
    public async Task GrowingAClaimNeedsAClassThatAllowsExpansion()
    {
        using var cluster = new SimulatedCluster();
        var fixedSize = StorageClass("fixed");
        fixedSize.Remove("allowVolumeExpansion");
        cluster.Store.Create(ResourceTypes.StorageClasses, fixedSize);
        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "1Gi", storageClass: "fixed"));
        await cluster.AdvanceUntil(() => Phase(cluster, "data") == "Bound", TimeSpan.FromSeconds(5), Step);

        var refused = Assert.Throws<StoreException>(() => Resize(cluster, "data", "2Gi"));

        Assert.Equal((403, "Forbidden"), (refused.Code, refused.Reason));
        Assert.Equal("persistentvolumeclaims \"data\" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize",
            refused.Message);
        Resize(cluster, "data", "1024Mi"); // the same size, spelled otherwise, is no change of size
    }

    [Fact]
    public async Task TheSpecOfAPendingClaimCannotChange()
    {
        using var cluster = new SimulatedCluster();
        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "1Gi", storageClass: "missing"));
        await cluster.Settle();

        var refused = Assert.Throws<StoreException>(() => Resize(cluster, "data", "2Gi"));

        Assert.Equal(422, refused.Code);
        Assert.Equal("PersistentVolumeClaim \"data\" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
            refused.Message);
    }

    [Fact]
    public async Task DeletingAClaimDeletesItsVolume()
    {
        using var cluster = new SimulatedCluster();
        cluster.Store.Create(ResourceTypes.PersistentVolumeClaims, Claim("data", "1Gi"));
        await cluster.AdvanceUntil(() => Phase(cluster, "data") == "Bound", TimeSpan.FromSeconds(5), Step);
        Assert.Single(cluster.Store.List(ResourceTypes.PersistentVolumes, null));

        cluster.Store.Delete(ResourceTypes.PersistentVolumeClaims, Ns, "data");
        await cluster.Settle();

        Assert.Empty(cluster.Store.List(ResourceTypes.PersistentVolumes, null));
    }

    internal static JsonObject Claim(string name, string size, string? storageClass = null, string accessMode = "ReadWriteOnce")
    {
        var spec = new JsonObject
        {
            ["accessModes"] = new JsonArray(accessMode),
            ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = size } },
        };
        if (storageClass is not null)
        {
            spec["storageClassName"] = storageClass;
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PersistentVolumeClaim",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Ns },
            ["spec"] = spec,
        };
    }

    private static JsonObject StorageClass(string name) => new()
    {
        ["apiVersion"] = "storage.k8s.io/v1",
        ["kind"] = "StorageClass",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["provisioner"] = VolumeController.Provisioner,
        ["allowVolumeExpansion"] = true,
    };

    private static JsonObject Pod(string name, string claim, string? node = null)
    {
        var spec = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "postgres:16" }) };
        if (node is not null)
        {
            spec["nodeName"] = node;
        }

        MountClaim(spec, claim);
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Ns },
            ["spec"] = spec,
        };
    }

    private static void MountClaim(JsonObject podSpec, string claim)
    {
        podSpec["volumes"] = new JsonArray(new JsonObject { ["name"] = "data", ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = claim } });
        podSpec["containers"]![0]!["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "data", ["mountPath"] = "/data" });
    }

    private static void Resize(SimulatedCluster cluster, string name, string size) =>
        cluster.Store.Change(ResourceTypes.PersistentVolumeClaims, Ns, name, c =>
        {
            c!["spec"]!["resources"]!["requests"]!["storage"] = size;
            return c;
        });

    private static string? Phase(SimulatedCluster cluster, string claim) =>
        (string?)cluster.Store.Get(ResourceTypes.PersistentVolumeClaims, Ns, claim)?["status"]?["phase"];

    private static string? Capacity(SimulatedCluster cluster, string claim) =>
        (string?)cluster.Store.Get(ResourceTypes.PersistentVolumeClaims, Ns, claim)?["status"]?["capacity"]?["storage"];

    private static string? PodPhase(SimulatedCluster cluster, string pod) => (string?)cluster.Store.Get(ResourceTypes.Pods, Ns, pod)?["status"]?["phase"];

    private static string? NodeOf(SimulatedCluster cluster, string pod) => (string?)cluster.Store.Get(ResourceTypes.Pods, Ns, pod)?["spec"]?["nodeName"];

    private static string? Message(SimulatedCluster cluster, string reason) => (string?)cluster.Events(reason).LastOrDefault()?["message"];
}
