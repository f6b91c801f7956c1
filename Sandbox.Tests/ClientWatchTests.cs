using k8s;
using k8s.Models;

namespace Sandbox.Tests;

/// <summary>Watches through KubernetesClient: streaming, resume from a resourceVersion, 410 Gone, selectors, open-watch counts.</summary>
public sealed class ClientWatchTests
{
    [Fact]
    public async Task WatchStreamsChangesAndResumesFromAResourceVersion()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        var list = await k8s.CoreV1.ListNamespacedConfigMapAsync("default");
        var created = await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("settings"), "default");
        created.Data["key"] = "changed";
        var changed = await k8s.CoreV1.ReplaceNamespacedConfigMapAsync(created, "settings", "default");
        await k8s.CoreV1.DeleteNamespacedConfigMapAsync("settings", "default");

        // Resuming from the list's version replays everything after it, in order.
        var events = await ReadEventsAsync(k8s, list.Metadata.ResourceVersion, 3);
        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], events.Select(e => e.Type));
        Assert.Equal("changed", events[1].Object.Data["key"]);

        // Resuming from the update's version gives only the deletion.
        var rest = await ReadEventsAsync(k8s, changed.Metadata.ResourceVersion, 1);
        Assert.Equal(WatchEventType.Deleted, rest.Single().Type);
    }

    [Fact]
    public async Task WatchDeliversLiveChangesMatchingItsSelectors()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        var start = (await k8s.CoreV1.ListNamespacedConfigMapAsync("default")).Metadata.ResourceVersion;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var received = new List<(WatchEventType, string)>();
        var watching = Task.Run(async () =>
        {
            var stream = k8s.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: start,
                labelSelector: "app=web", fieldSelector: "metadata.name!=ignored", cancellationToken: cancel.Token);
            await foreach (var (type, item) in stream)
            {
                received.Add((type, item.Metadata.Name));
                if (received.Count == 3)
                {
                    break;
                }
            }
        });
        await Eventually.TrueAsync(() => cluster.Host.Store.OpenWatchCount == 1, "the watch to open");

        await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("ignored", new() { ["app"] = "web" }), "default");
        await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("other", new() { ["app"] = "api" }), "default");
        var web = await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("web", new() { ["app"] = "web" }), "default");
        // Relabelling an object in and out of the selector looks like an add and a delete to the watcher.
        var relabelled = await k8s.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"labels\":{\"app\":\"web\"}}}", V1Patch.PatchType.MergePatch), "other", "default");
        await k8s.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"labels\":{\"app\":\"gone\"}}}", V1Patch.PatchType.MergePatch), "web", "default");
        await watching;

        Assert.Equal([(WatchEventType.Added, "web"), (WatchEventType.Added, "other"), (WatchEventType.Deleted, "web")], received);
        await Eventually.TrueAsync(() => cluster.Host.Store.OpenWatchCount == 0, "the watch to close");
    }

    [Fact]
    public async Task WatchFromAResourceVersionOlderThanTheHistoryFailsWithGone()
    {
        await using var cluster = await TestCluster.StartAsync(watchHistory: 3);
        var k8s = cluster.Client;
        var old = (await k8s.CoreV1.ListNamespacedConfigMapAsync("default")).Metadata.ResourceVersion;
        foreach (var name in new[] { "a", "b", "c", "d", "e" })
        {
            await k8s.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap(name), "default");
        }

        var failure = await Assert.ThrowsAsync<KubernetesException>(() => ReadEventsAsync(k8s, old, 1));

        Assert.Equal(410, failure.Status.Code);
        Assert.Equal("Expired", failure.Status.Reason);
        Assert.Contains("too old resource version", failure.Status.Message);
    }

    [Fact]
    public async Task OpenWatchCountFollowsTheHttpWatchesPerResourceType()
    {
        await using var cluster = await TestCluster.StartAsync();
        var k8s = cluster.Client;
        // KubernetesClient 21 waits for the first line of a watch before its call returns, so each watch gets one object to see.
        foreach (var ns in new[] { "default", "kube-system" })
        {
            await k8s.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] } }, ns);
        }

        using var cancel = new CancellationTokenSource();
        var watches = new[] { "default", "kube-system" }.Select(ns => Task.Run(async () =>
        {
            try { await foreach (var _ in k8s.CoreV1.WatchListNamespacedPodAsync(ns, cancellationToken: cancel.Token)) { } }
            catch (OperationCanceledException) { }
        })).ToList();

        await Eventually.TrueAsync(() => cluster.Host.Store.OpenWatchCount == 2, "two watches to open");
        Assert.Equal(2, cluster.Host.Store.OpenWatchCountFor(Store.ResourceTypes.Pods));
        Assert.Equal(0, cluster.Host.Store.OpenWatchCountFor(Store.ResourceTypes.Deployments));

        await cancel.CancelAsync();
        await Task.WhenAll(watches);
        await Eventually.TrueAsync(() => cluster.Host.Store.OpenWatchCount == 0, "the watches to close");
    }

    [Fact]
    public async Task WatchEndsAfterItsTimeoutSeconds()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(Manifests.ConfigMap("settings"), "default");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var events = new List<WatchEventType>();
        await foreach (var (type, _) in cluster.Client.CoreV1.WatchListNamespacedConfigMapAsync("default", timeoutSeconds: 1, cancellationToken: cancel.Token))
        {
            events.Add(type);
        }

        Assert.Equal([WatchEventType.Added], events);
        await Eventually.TrueAsync(() => cluster.Host.Store.OpenWatchCount == 0, "the watch to close");
    }
    [Fact]
    public async Task WatchWithBookmarksOpensAtOnceEvenWhenNothingChanges()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var start = (await cluster.Client.AppsV1.ListNamespacedDeploymentAsync("default")).Metadata.ResourceVersion;

        await foreach (var (type, item) in cluster.Client.AppsV1.WatchListNamespacedDeploymentAsync("default", allowWatchBookmarks: true,
            resourceVersion: start, cancellationToken: cancel.Token))
        {
            Assert.Equal(WatchEventType.Bookmark, type);
            Assert.Equal(start, item.Metadata.ResourceVersion);
            break;
        }
        await Eventually.TrueAsync(() => cluster.Host.Store.OpenWatchCount == 0, "the watch to close");
    }

    private static async Task<List<(WatchEventType Type, V1ConfigMap Object)>> ReadEventsAsync(Kubernetes k8s, string resourceVersion, int count)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var events = new List<(WatchEventType, V1ConfigMap)>();
        Exception? failure = null;
        // KubernetesClient hands a Status carried by an ERROR event to onError, then ends the stream.
        await foreach (var (type, item) in k8s.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: resourceVersion,
            onError: e => failure = e, cancellationToken: cancel.Token))
        {
            events.Add((type, item));
            if (events.Count == count)
            {
                break;
            }
        }
        if (failure is not null)
        {
            throw failure;
        }

        return events;
    }
}
