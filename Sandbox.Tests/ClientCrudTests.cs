using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Sandbox.Tests;

/// <summary>KubernetesClient over HTTPS against a Sandbox: the CRUD verbs and their Kubernetes-shaped failures.</summary>
public sealed class ClientCrudTests
{
    [Fact]
    public async Task ObjectsOfSeveralKindsCanBeCreatedReadUpdatedAndDeleted()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        await k8s.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "shop" } });

        var configMap = await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("settings", ns: "shop"), "shop");
        Assert.False(string.IsNullOrEmpty(configMap.Metadata.Uid));
        Assert.NotNull(configMap.Metadata.CreationTimestamp);
        configMap.Data["key"] = "changed";
        var updated = await k8s.CoreV1.ReplaceNamespacedConfigMapAsync(configMap, "settings", "shop");
        Assert.Equal("changed", updated.Data["key"]);
        Assert.True(long.Parse(updated.Metadata.ResourceVersion) > long.Parse(configMap.Metadata.ResourceVersion));
        Assert.Equal(configMap.Metadata.Uid, updated.Metadata.Uid);

        var secret = await k8s.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "db", NamespaceProperty = "shop" },
            StringData = new Dictionary<string, string> { ["password"] = "s3cret" },
        }, "shop");
        Assert.Equal("s3cret", System.Text.Encoding.UTF8.GetString(secret.Data["password"]));
        Assert.Equal("Opaque", secret.Type);

        var service = await k8s.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "shop" },
            Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "web" }, Ports = [new V1ServicePort { Port = 80 }] },
        }, "shop");
        Assert.Equal("ClusterIP", service.Spec.Type);
        Assert.False(string.IsNullOrEmpty(service.Spec.ClusterIP));

        var deployment = await k8s.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("web", ns: "shop"), "shop");
        Assert.Equal(1, deployment.Metadata.Generation);
        Assert.Equal("RollingUpdate", deployment.Spec.Strategy.Type);

        var listed = await k8s.AppsV1.ListNamespacedDeploymentAsync("shop");
        Assert.Equal(["web"], listed.Items.Select(d => d.Metadata.Name));
        var everywhere = await k8s.CoreV1.ListConfigMapForAllNamespacesAsync();
        Assert.Contains(everywhere.Items, c => c.Metadata.Name == "settings" && c.Metadata.NamespaceProperty == "shop");

        await k8s.AppsV1.DeleteNamespacedDeploymentAsync("web", "shop");
        await k8s.CoreV1.DeleteNamespacedServiceAsync("web", "shop");
        await k8s.CoreV1.DeleteNamespacedSecretAsync("db", "shop");
        await k8s.CoreV1.DeleteNamespacedConfigMapAsync("settings", "shop");
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => k8s.AppsV1.ReadNamespacedDeploymentAsync("web", "shop"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Contains("\"reason\":\"NotFound\"", missing.Response.Content);
    }

    [Fact]
    public async Task CreatingAnObjectThatExistsIsRefusedWithAlreadyExists()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("settings"), "default");

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() =>
            cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("settings"), "default"));

        Assert.Equal(HttpStatusCode.Conflict, refused.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(refused.Response.Content);
        Assert.Equal(("Status", "Failure", "AlreadyExists", 409), (status.Kind, status.Status, status.Reason, status.Code!.Value));
        Assert.Equal("settings", status.Details.Name);
    }

    [Fact]
    public async Task UpdateWithStaleResourceVersionIsRefusedWithConflict()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        var original = await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("settings"), "default");
        original.Data["key"] = "first";
        await k8s.CoreV1.ReplaceNamespacedConfigMapAsync(original, "settings", "default");

        original.Data["key"] = "second";
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => k8s.CoreV1.ReplaceNamespacedConfigMapAsync(original, "settings", "default"));

        Assert.Equal(HttpStatusCode.Conflict, refused.Response.StatusCode);
        Assert.Equal("Conflict", KubernetesJson.Deserialize<V1Status>(refused.Response.Content).Reason);
        Assert.Equal("first", (await k8s.CoreV1.ReadNamespacedConfigMapAsync("settings", "default")).Data["key"]);
    }

    [Fact]
    public async Task CreatingInAMissingNamespaceIsNotFound()
    {
        await using var cluster = await TestCluster.StartAsync();

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() =>
            cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("settings", ns: "nowhere"), "nowhere"));

        Assert.Equal(HttpStatusCode.NotFound, refused.Response.StatusCode);
        Assert.Contains("namespaces \\\"nowhere\\\" not found", refused.Response.Content);
    }

    [Fact]
    public async Task GenerationGrowsOnlyWhenTheSpecChanges()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        var deployment = await k8s.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("web"), "default");

        deployment.Metadata.Labels["team"] = "blue";
        deployment = await k8s.AppsV1.ReplaceNamespacedDeploymentAsync(deployment, "web", "default");
        Assert.Equal(1, deployment.Metadata.Generation);

        deployment.Spec.Replicas = 4;
        deployment = await k8s.AppsV1.ReplaceNamespacedDeploymentAsync(deployment, "web", "default");
        Assert.Equal(2, deployment.Metadata.Generation);
    }

    [Fact]
    public async Task StatusSubresourceChangesOnlyTheStatus()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        var deployment = await k8s.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("web"), "default");

        deployment.Status = new V1DeploymentStatus { Replicas = 2, ReadyReplicas = 1, ObservedGeneration = 1 };
        deployment.Spec.Replicas = 9;
        var written = await k8s.AppsV1.ReplaceNamespacedDeploymentStatusAsync(deployment, "web", "default");

        Assert.Equal(1, written.Status.ReadyReplicas);
        Assert.Equal(2, written.Spec.Replicas);
        Assert.Equal(1, written.Metadata.Generation);

        // A plain update keeps the status the status subresource wrote.
        written.Status = null;
        written.Spec.Replicas = 3;
        var replaced = await k8s.AppsV1.ReplaceNamespacedDeploymentAsync(written, "web", "default");
        Assert.Equal(1, replaced.Status.ReadyReplicas);
    }

    [Fact]
    public async Task ScaleSubresourceReadsAndWritesTheReplicaCount()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        await k8s.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("web", replicas: 2), "default");

        var scale = await k8s.AppsV1.ReadNamespacedDeploymentScaleAsync("web", "default");
        Assert.Equal(2, scale.Spec.Replicas);
        Assert.Equal("app=web", scale.Status.Selector);

        scale.Spec.Replicas = 5;
        await k8s.AppsV1.ReplaceNamespacedDeploymentScaleAsync(scale, "web", "default");
        Assert.Equal(5, (await k8s.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Spec.Replicas);

        await k8s.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch("{\"spec\":{\"replicas\":1}}", V1Patch.PatchType.MergePatch), "web", "default");
        Assert.Equal(1, (await k8s.AppsV1.ReadNamespacedDeploymentAsync("web", "default")).Spec.Replicas);
    }

    [Fact]
    public async Task PatchesMergeAsKubernetesDoes()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        var deployment = Manifests.Deployment("web");
        deployment.Spec.Template.Spec.Containers.Add(new V1Container { Name = "sidecar", Image = "envoy:1" });
        deployment.Spec.Template.Spec.Containers[0].Env = [new V1EnvVar { Name = "A", Value = "1" }, new V1EnvVar { Name = "B", Value = "2" }];
        await k8s.AppsV1.CreateNamespacedDeploymentAsync(deployment, "default");

        // Strategic merge: containers and env merge by name, $patch: delete removes one entry.
        var strategic = """
            {"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28","env":[{"name":"B","$patch":"delete"},{"name":"C","value":"3"}]}]}}}}
            """;
        var patched = await k8s.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(strategic, V1Patch.PatchType.StrategicMergePatch), "web", "default");
        Assert.Equal(["web", "sidecar"], patched.Spec.Template.Spec.Containers.Select(c => c.Name));
        Assert.Equal("nginx:1.28", patched.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal(["A", "C"], patched.Spec.Template.Spec.Containers[0].Env.Select(e => e.Name));

        // JSON patch, as kubectl rollout undo sends it.
        var json = """[{"op":"replace","path":"/spec/template/spec/containers/1/image","value":"envoy:2"},{"op":"add","path":"/metadata/labels/tier","value":"front"}]""";
        patched = await k8s.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(json, V1Patch.PatchType.JsonPatch), "web", "default");
        Assert.Equal("envoy:2", patched.Spec.Template.Spec.Containers[1].Image);
        Assert.Equal("front", patched.Metadata.Labels["tier"]);

        // Merge patch: lists are replaced whole, null removes.
        var merge = """{"metadata":{"labels":{"tier":null}},"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox"}]}}}}""";
        patched = await k8s.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(merge, V1Patch.PatchType.MergePatch), "web", "default");
        Assert.Equal(["only"], patched.Spec.Template.Spec.Containers.Select(c => c.Name));
        Assert.False(patched.Metadata.Labels.ContainsKey("tier"));
        Assert.Equal(4, patched.Metadata.Generation);
    }

    [Fact]
    public async Task DeletingADeploymentDeletesTheReplicaSetsAndPodsItOwns()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        var deployment = await k8s.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("web"), "default");
        var replicaSet = await k8s.AppsV1.CreateNamespacedReplicaSetAsync(OwnedReplicaSet(deployment), "default");
        await k8s.CoreV1.CreateNamespacedPodAsync(OwnedPod(replicaSet), "default");
        await k8s.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "unrelated" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        }, "default");

        await k8s.AppsV1.DeleteNamespacedDeploymentAsync("web", "default", propagationPolicy: "Background");

        Assert.Empty((await k8s.AppsV1.ListNamespacedReplicaSetAsync("default")).Items);
        Assert.Equal(["unrelated"], (await k8s.CoreV1.ListNamespacedPodAsync("default")).Items.Select(p => p.Metadata.Name));
    }

    [Fact]
    public async Task DeletingWithOrphanPropagationKeepsDependents()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        var deployment = await k8s.AppsV1.CreateNamespacedDeploymentAsync(Manifests.Deployment("web"), "default");
        await k8s.AppsV1.CreateNamespacedReplicaSetAsync(OwnedReplicaSet(deployment), "default");

        await k8s.AppsV1.DeleteNamespacedDeploymentAsync("web", "default", propagationPolicy: "Orphan");

        var orphan = Assert.Single((await k8s.AppsV1.ListNamespacedReplicaSetAsync("default")).Items);
        Assert.Null(orphan.Metadata.OwnerReferences);
    }

    internal static V1ReplicaSet OwnedReplicaSet(V1Deployment deployment, string hash = "5d8f7c9b6") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = $"{deployment.Metadata.Name}-{hash}",
            NamespaceProperty = deployment.Metadata.NamespaceProperty,
            Labels = new Dictionary<string, string> { ["app"] = deployment.Metadata.Name, ["pod-template-hash"] = hash },
            Annotations = new Dictionary<string, string> { ["deployment.kubernetes.io/revision"] = "1" },
            OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = deployment.Metadata.Name, Uid = deployment.Metadata.Uid, BlockOwnerDeletion = true, Controller = true }],
        },
        Spec = new V1ReplicaSetSpec
        {
            Replicas = deployment.Spec.Replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = deployment.Metadata.Name, ["pod-template-hash"] = hash } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = deployment.Metadata.Name, ["pod-template-hash"] = hash } },
                Spec = deployment.Spec.Template.Spec,
            },
        },
    };

    internal static V1Pod OwnedPod(V1ReplicaSet replicaSet, string suffix = "abcde") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = $"{replicaSet.Metadata.Name}-{suffix}",
            Labels = replicaSet.Spec.Template.Metadata.Labels,
            OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = replicaSet.Metadata.Name, Uid = replicaSet.Metadata.Uid, BlockOwnerDeletion = true, Controller = true }],
        },
        Spec = replicaSet.Spec.Template.Spec,
    };
}
