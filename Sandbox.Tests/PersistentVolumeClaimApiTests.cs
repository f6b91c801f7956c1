using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Sandbox.Tests;

/// <summary>Claims over HTTPS with the controllers running on the real clock, judged by KubernetesClient and kubectl.</summary>
public sealed class PersistentVolumeClaimApiTests
{
    private const string Claim = """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: data
          namespace: default
        spec:
          accessModes: ["ReadWriteOnce"]
          resources:
            requests:
              storage: SIZE
        """;

    [Fact]
    public async Task AClaimCreatedPendingIsBoundSoonAndKubectlShowsItsVolumeCapacityAndEvents()
    {
        await using var cluster = await TestCluster.StartAsync(time: TimeProvider.System, controllers: true);

        var created = await cluster.Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Parse(Claim.Replace("SIZE", "1Gi")), "default");

        Assert.Equal("Pending", created.Status.Phase);
        Assert.Equal("standard", created.Spec.StorageClassName);
        var bound = await BoundAsync(cluster);
        Assert.Equal($"pvc-{created.Metadata.Uid}", bound.Spec.VolumeName);
        Assert.Equal("1Gi", bound.Status.Capacity["storage"].ToString());
        Assert.Equal(["ReadWriteOnce"], bound.Status.AccessModes);
        var volume = await cluster.Client.CoreV1.ReadPersistentVolumeAsync(bound.Spec.VolumeName);
        Assert.Equal(("Bound", "data", "Delete"), (volume.Status.Phase, volume.Spec.ClaimRef.Name, volume.Spec.PersistentVolumeReclaimPolicy));

        var table = (await cluster.KubectlAsync("get", "pvc", "data", "--no-headers")).Succeeded().Output.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["data", "Bound", bound.Spec.VolumeName, "1Gi", "RWO", "standard"], table[..6]);
        var volumes = (await cluster.KubectlAsync("get", "pv")).Succeeded().Output;
        Assert.Contains("default/data", volumes);
        var described = (await cluster.KubectlAsync("describe", "pvc", "data")).Succeeded().Output;
        Assert.Contains("ProvisioningSucceeded", described);
        Assert.Contains($"Successfully provisioned volume {bound.Spec.VolumeName}", described);
        Assert.Matches(@"Status:\s+Bound", described);
    }

    [Fact]
    public async Task AClaimOfAnUnknownClassStaysPendingAndKubectlDescribeShowsTheWarning()
    {
        await using var cluster = await TestCluster.StartAsync(time: TimeProvider.System, controllers: true);
        var claim = Parse(Claim.Replace("SIZE", "1Gi"));
        claim.Spec.StorageClassName = "fast";

        await cluster.Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(claim, "default");

        await Eventually.TrueAsync(async () => (await cluster.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "reason=ProvisioningFailed")).Items.Count > 0,
            "a ProvisioningFailed event");
        var described = (await cluster.KubectlAsync("describe", "pvc", "data")).Succeeded().Output;
        Assert.Matches(@"Status:\s+Pending", described);
        Assert.Contains("Warning  ProvisioningFailed", described);
        Assert.Contains("storageclass.storage.k8s.io \"fast\" not found", described);
        Assert.Equal("Pending", (await cluster.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", "default")).Status.Phase);
    }

    [Fact]
    public async Task ShrinkingIsRefusedByPatchAndApplyAlsoInADryRunAndGrowingIsAcceptedAndCapacityFollows()
    {
        await using var cluster = await TestCluster.StartAsync(time: TimeProvider.System, controllers: true);
        var manifest = cluster.Manifest("claim.yaml", Claim.Replace("SIZE", "2Gi"));
        (await cluster.KubectlAsync("apply", "--server-side", "-f", manifest)).Succeeded();
        await BoundAsync(cluster);
        const string shrink = "spec.resources.requests.storage: Forbidden: field can not be less than previous value";

        var patch = new V1Patch("""{"spec":{"resources":{"requests":{"storage":"1Gi"}}}}""", V1Patch.PatchType.MergePatch);
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(patch, "data", "default"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(refused.Response.Content);
        Assert.Equal(("Invalid", $"PersistentVolumeClaim \"data\" is invalid: {shrink}"), (status.Reason, status.Message));
        Assert.Contains(status.Details.Causes, c => c.Field == "spec.resources.requests.storage" && c.Reason == "FieldValueForbidden");

        var dryRun = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(
            new V1Patch(Parse(Claim.Replace("SIZE", "1Gi")), V1Patch.PatchType.ApplyPatch), "data", "default", dryRun: "All", fieldManager: "kubectl", force: true));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, dryRun.Response.StatusCode);
        Assert.Contains(shrink, dryRun.Response.Content);

        cluster.Manifest("claim.yaml", Claim.Replace("SIZE", "1Gi"));
        var kubectl = await cluster.KubectlAsync("apply", "--server-side", "--dry-run=server", "-f", manifest);
        Assert.NotEqual(0, kubectl.ExitCode);
        Assert.Contains(shrink, kubectl.Error);
        Assert.Equal("2Gi", (await cluster.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", "default")).Spec.Resources.Requests["storage"].ToString());

        cluster.Manifest("claim.yaml", Claim.Replace("SIZE", "5Gi"));
        var grownDryRun = (await cluster.KubectlAsync("apply", "--server-side", "--dry-run=server", "-f", manifest, "-o", "jsonpath={.spec.resources.requests.storage}")).Succeeded();
        Assert.Equal("5Gi", grownDryRun.Output);
        Assert.Equal("2Gi", (await cluster.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", "default")).Spec.Resources.Requests["storage"].ToString());
        (await cluster.KubectlAsync("apply", "--server-side", "-f", manifest)).Succeeded();

        await Eventually.TrueAsync(async () => (await cluster.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", "default")).Status.Capacity["storage"].ToString() == "5Gi",
            "the capacity to follow the grown request");
        var claim = await cluster.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", "default");
        Assert.Equal("5Gi", (await cluster.Client.CoreV1.ReadPersistentVolumeAsync(claim.Spec.VolumeName)).Spec.Capacity["storage"].ToString());
    }

    [Fact]
    public async Task APodWaitsForItsClaimWithAFailedSchedulingEventThatKubectlShows()
    {
        await using var cluster = await TestCluster.StartAsync(time: TimeProvider.System, controllers: true);
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "db", NamespaceProperty = "default" },
            Spec = new V1PodSpec
            {
                Containers = [new V1Container { Name = "db", Image = "postgres:16", VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/data" }] }],
                Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "data" } }],
            },
        };

        await cluster.Client.CoreV1.CreateNamespacedPodAsync(pod, "default");

        await Eventually.TrueAsync(async () => (await cluster.Client.CoreV1.ReadNamespacedPodAsync("db", "default")).Status?.Conditions?.Any(c => c.Type == "PodScheduled") == true,
            "the scheduler's verdict");
        var pending = await cluster.Client.CoreV1.ReadNamespacedPodAsync("db", "default");
        var condition = pending.Status.Conditions.Single(c => c.Type == "PodScheduled");
        Assert.Equal(("Pending", "False", "Unschedulable"), (pending.Status.Phase, condition.Status, condition.Reason));
        Assert.StartsWith("0/3 nodes are available: persistentvolumeclaim \"data\" not found.", condition.Message);
        var described = (await cluster.KubectlAsync("describe", "pod", "db")).Succeeded().Output;
        Assert.Contains("FailedScheduling", described);

        await cluster.Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(Parse(Claim.Replace("SIZE", "1Gi")), "default");

        await Eventually.TrueAsync(async () => (await cluster.Client.CoreV1.ReadNamespacedPodAsync("db", "default")).Status?.Phase == "Running", "the pod to run");
        Assert.Equal("Bound", (await cluster.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", "default")).Status.Phase);
    }

    private static V1PersistentVolumeClaim Parse(string yaml) => KubernetesYaml.Deserialize<V1PersistentVolumeClaim>(yaml);

    private static async Task<V1PersistentVolumeClaim> BoundAsync(TestCluster cluster)
    {
        await Eventually.TrueAsync(async () => (await cluster.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", "default")).Status.Phase == "Bound",
            "the claim to be bound");
        return await cluster.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("data", "default");
    }
}
