using k8s;
using k8s.Models;

namespace Sandbox.Tests;

/// <summary>Lists with label selectors, field selectors and paging, through KubernetesClient.</summary>
public sealed class ClientQueryTests
{
    [Fact]
    public async Task LabelSelectorsFilterListsWithEveryOperator()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("a", new() { ["app"] = "web", ["tier"] = "front" }), "default");
        await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("b", new() { ["app"] = "api", ["tier"] = "back" }), "default");
        await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("c", new() { ["app"] = "db" }), "default");

        async Task<string[]> Names(string selector) =>
            [.. (await k8s.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: selector)).Items.Select(c => c.Metadata.Name)];

        Assert.Equal(["a"], await Names("app=web"));
        Assert.Equal(["a"], await Names("app==web"));
        Assert.Equal(["b", "c"], await Names("app!=web"));
        Assert.Equal(["a", "b"], await Names("app in (web,api)"));
        Assert.Equal(["c"], await Names("app notin (web, api)"));
        Assert.Equal(["a", "b"], await Names("tier"));
        Assert.Equal(["c"], await Names("!tier"));
        Assert.Equal(["b"], await Names("tier,app in (api,db)"));
    }

    [Fact]
    public async Task FieldSelectorsFilterByNameNamespaceAndNestedFields()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        await k8s.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "other" } });
        await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("same"), "default");
        await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("same", ns: "other"), "other");
        await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("different"), "default");
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = "placed" }, Spec = new V1PodSpec { NodeName = "node-1", Containers = [new V1Container { Name = "c", Image = "busybox" }] } };
        await k8s.CoreV1.CreateNamespacedPodAsync(pod, "default");
        await k8s.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "waiting" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] } }, "default");

        var byName = await k8s.CoreV1.ListConfigMapForAllNamespacesAsync(fieldSelector: "metadata.name=same");
        Assert.Equal(["default", "other"], byName.Items.Select(c => c.Metadata.NamespaceProperty));
        var byBoth = await k8s.CoreV1.ListConfigMapForAllNamespacesAsync(fieldSelector: "metadata.name=same,metadata.namespace!=default");
        Assert.Equal("other", Assert.Single(byBoth.Items).Metadata.NamespaceProperty);
        Assert.Equal(["placed"], (await k8s.CoreV1.ListNamespacedPodAsync("default", fieldSelector: "spec.nodeName=node-1")).Items.Select(p => p.Metadata.Name));
        Assert.Equal(["waiting"], (await k8s.CoreV1.ListNamespacedPodAsync("default", fieldSelector: "spec.nodeName=")).Items.Select(p => p.Metadata.Name));
    }

    [Fact]
    public async Task ListsArePagedWithLimitAndContinue()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        foreach (var name in new[] { "a", "b", "c", "d", "e" })
        {
            await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap(name), "default");
        }

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await k8s.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2, continueParameter: token);
            seen.AddRange(page.Items.Select(c => c.Metadata.Name));
            token = page.Metadata.ContinueProperty;
            pages++;
        }
        while (!string.IsNullOrEmpty(token));

        Assert.Equal(["a", "b", "c", "d", "e"], seen);
        Assert.Equal(3, pages);
    }
}
