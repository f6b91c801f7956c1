using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Sandbox.Tests;

/// <summary>Server-side apply through KubernetesClient: create, change, field ownership, conflicts and force.</summary>
public sealed class ServerSideApplyTests
{
    private static string Applied(string image, int replicas, string? extraLabel = null)
    {
        var labels = new JsonObject { ["app"] = "web" };
        if (extraLabel is not null)
        {
            labels[extraLabel] = "yes";
        }

        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = "web", ["labels"] = labels },
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "web" } },
                    ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = image }) },
                },
            },
        }.ToJsonString();
    }

    private static Task<V1Deployment> ApplyAsync(Kubernetes k8s, string body, string manager, bool? force = true) =>
        k8s.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(body, V1Patch.PatchType.ApplyPatch), "web", "default", fieldManager: manager, force: force);

    [Fact]
    public async Task ApplyCreatesTheObjectThenChangesItAndRecordsManagedFields()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;

        var created = await ApplyAsync(k8s, Applied("nginx:1.27", 2, extraLabel: "team"), "deployer");
        Assert.Equal(2, created.Spec.Replicas);
        Assert.Equal(1, created.Metadata.Generation);
        var entry = Assert.Single(created.Metadata.ManagedFields);
        Assert.Equal(("deployer", "Apply", "apps/v1", "FieldsV1"), (entry.Manager, entry.Operation, entry.ApiVersion, entry.FieldsType));
        var fields = KubernetesJson.Serialize(entry.FieldsV1);
        Assert.Contains("\"f:replicas\":{}", fields);
        Assert.Contains("f:containers\":{\"k:{", fields);

        // Applying again without a field the manager applied before removes it.
        var changed = await ApplyAsync(k8s, Applied("nginx:1.28", 3), "deployer");
        Assert.Equal("nginx:1.28", changed.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal(3, changed.Spec.Replicas);
        Assert.Equal(2, changed.Metadata.Generation);
        Assert.False(changed.Metadata.Labels.ContainsKey("team"));
        Assert.Equal(created.Metadata.Uid, changed.Metadata.Uid);
    }

    [Fact]
    public async Task ApplyingAFieldAnotherManagerOwnsIsAConflictUnlessForced()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        await ApplyAsync(k8s, Applied("nginx:1.27", 2), "deployer");

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => ApplyAsync(k8s, Applied("nginx:1.27", 5), "autoscaler", force: false));
        Assert.Equal(HttpStatusCode.Conflict, refused.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(refused.Response.Content);
        Assert.Equal("Conflict", status.Reason);
        Assert.Contains("conflict with \"deployer\"", status.Message);
        Assert.Contains(status.Details.Causes, c => c.Field == ".spec.replicas" && c.Reason == "FieldManagerConflict");

        // The same values are shared, not contested.
        var shared = await ApplyAsync(k8s, Applied("nginx:1.27", 2), "observer", force: false);
        Assert.Equal(3, shared.Metadata.ManagedFields.Count + 1);

        var forced = await ApplyAsync(k8s, Applied("nginx:1.27", 5), "autoscaler", force: true);
        Assert.Equal(5, forced.Spec.Replicas);
        var deployerFields = KubernetesJson.Serialize(forced.Metadata.ManagedFields.Single(m => m.Manager == "deployer").FieldsV1);
        Assert.DoesNotContain("f:replicas", deployerFields);
    }

    [Fact]
    public async Task AnUpdateByAnotherManagerTakesOverTheFieldsItChanges()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        await ApplyAsync(k8s, Applied("nginx:1.27", 2), "deployer");

        var scaled = await k8s.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"spec\":{\"replicas\":4}}", V1Patch.PatchType.MergePatch),
            "web", "default", fieldManager: "kubectl-scale");

        var scaler = scaled.Metadata.ManagedFields.Single(m => m.Manager == "kubectl-scale");
        Assert.Equal("Update", scaler.Operation);
        Assert.Contains("f:replicas", KubernetesJson.Serialize(scaler.FieldsV1));
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => ApplyAsync(k8s, Applied("nginx:1.27", 2), "deployer", force: false));
        Assert.Contains("conflict with \"kubectl-scale\" using apps/v1", KubernetesJson.Deserialize<V1Status>(refused.Response.Content).Message);
    }
}
