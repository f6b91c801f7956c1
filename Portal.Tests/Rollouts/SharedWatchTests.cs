using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Rollouts;
using Sandbox;

namespace Portal.Tests.Rollouts;

/// <summary>One shared watch against a Sandbox of its own.</summary>
public sealed class SharedWatchTests : IAsyncLifetime
{
    private readonly string state = Path.Combine(Path.GetTempPath(), "portal-tests", "watch-" + Guid.NewGuid().ToString("n"));
    private SandboxHost cluster = null!;
    private IKubernetes client = null!;

    public async Task InitializeAsync()
    {
        cluster = new SandboxHost(new SandboxOptions { Port = 0, StateDirectory = state, Time = new AcceleratedTimeProvider(20) });
        await cluster.StartAsync();
        var kubeconfig = Path.Combine(state, "kubeconfig");
        await cluster.WriteKubeconfigAsync(kubeconfig);
        client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "watched" } });
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await cluster.DisposeAsync();
        Directory.Delete(state, recursive: true);
    }

    [Fact]
    public async Task AListenerThatThrowsNeitherRestartsTheWatchNorSilencesTheOthers()
    {
        await using var watch = new SharedWatch(() => Task.FromResult(client), WatchedKind.Pods, "watched", TimeProvider.System, NullLogger.Instance);
        using var faulty = watch.Listen(() => throw new InvalidOperationException("a listener's own bug"));
        var heard = 0;
        using var good = watch.Listen(() => Interlocked.Increment(ref heard));
        watch.Start();
        await watch.Synced.WaitAsync(TimeSpan.FromSeconds(30));

        for (var i = 0; i < 3; i++)
        {
            await client.CoreV1.CreateNamespacedPodAsync(Pod($"pod-{i}"), "watched");
        }

        await UntilAsync(() => watch.Items<V1Pod>().Count(p => p.Metadata.Name.StartsWith("pod-", StringComparison.Ordinal)) == 3);
        Assert.Equal(1, watch.Relists);
        Assert.True(Volatile.Read(ref heard) >= 4, $"the good listener heard {heard} changes");
    }

    [Fact]
    public async Task AClusterRebuiltWithLowerVersionsIsFollowedAfterTheReconnect()
    {
        await using var watch = new SharedWatch(() => Task.FromResult(client), WatchedKind.Pods, "watched", TimeProvider.System, NullLogger.Instance);
        watch.Start();
        await watch.Synced.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 20; i++)
        {
            await client.CoreV1.CreateNamespacedPodAsync(Pod($"before-{i}"), "watched");
        }

        await UntilAsync(() => watch.Items<V1Pod>().Count(p => p.Metadata.Name.StartsWith("before-", StringComparison.Ordinal)) == 20);
        var seenBefore = watch.ResourceVersion;

        // The same address and credentials, but the objects gone and the versions counting from the start again.
        var port = new Uri(cluster.ServerUrl).Port;
        await cluster.DisposeAsync();
        File.Delete(Path.Combine(state, "state.json"));
        cluster = new SandboxHost(new SandboxOptions { Port = port, StateDirectory = state, Time = new AcceleratedTimeProvider(20) });
        await cluster.StartAsync();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "watched" } });
        await UntilAsync(() => watch.Relists >= 2 && watch.Items<V1Pod>().Count == 0);
        var after = await client.CoreV1.CreateNamespacedPodAsync(Pod("after-rebuild"), "watched");

        Assert.True(long.Parse(after.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) < seenBefore, "the rebuilt cluster did not count from lower versions");
        await UntilAsync(() => watch.Get<V1Pod>("after-rebuild") is not null);
    }

    [Fact]
    public async Task CatchingUpBringsAQuietWatchToTheVersionAsked()
    {
        await using var watch = new SharedWatch(() => Task.FromResult(client), WatchedKind.Pods, "watched", TimeProvider.System, NullLogger.Instance);
        watch.Start();
        await watch.Synced.WaitAsync(TimeSpan.FromSeconds(30));
        var created = await client.CoreV1.CreateNamespacedPodAsync(Pod("caught-up"), "watched");
        var version = long.Parse(created.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);

        await watch.CatchUpAsync(version, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(watch.ResourceVersion >= version);
        Assert.Contains(watch.Items<V1Pod>(), p => p.Metadata.Name == "caught-up");
    }

    [Fact]
    public async Task TheIndexFilesEachObjectUnderItsOwnersAndFollowsItsChangesAndDeletion()
    {
        await using var watch = new SharedWatch(() => Task.FromResult(client), WatchedKind.Pods, "watched", TimeProvider.System, NullLogger.Instance);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("listed-a", owner: "uid-a"), "watched");
        watch.Start();
        await watch.Synced.WaitAsync(TimeSpan.FromSeconds(30));
        await client.CoreV1.CreateNamespacedPodAsync(Pod("watched-a", owner: "uid-a"), "watched");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("watched-b", owner: "uid-b"), "watched");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("unowned"), "watched");

        // Filed at the first list and from the watch alike; a key nobody has, or the same key twice, adds nothing.
        await UntilAsync(() => watch.Get<V1Pod>("unowned") is not null);
        Assert.Equal("listed-a,watched-a", Names(watch.Indexed<V1Pod>(["uid-a"])));
        Assert.Equal("watched-b", Names(watch.Indexed<V1Pod>(["uid-b"])));
        Assert.Equal("listed-a,watched-a,watched-b", Names(watch.Indexed<V1Pod>(["uid-a", "uid-b", "uid-a", "uid-none"])));
        Assert.Null(watch.Get<V1Pod>("never-made"));

        // A new owner moves the pod from one key to the other; a deleted pod leaves its key.
        var moved = new V1Patch("{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"rs-b\",\"uid\":\"uid-b\"}]}}", V1Patch.PatchType.MergePatch);
        await client.CoreV1.PatchNamespacedPodAsync(moved, "watched-a", "watched");
        await client.CoreV1.DeleteNamespacedPodAsync("listed-a", "watched", gracePeriodSeconds: 0);
        await UntilAsync(() => Names(watch.Indexed<V1Pod>(["uid-a"])) == "" && Names(watch.Indexed<V1Pod>(["uid-b"])) == "watched-a,watched-b");
        Assert.Null(watch.Get<V1Pod>("listed-a"));
    }

    [Fact]
    public async Task TheCacheKeepsObjectsWithoutTheirManagedFields()
    {
        await using var watch = new SharedWatch(() => Task.FromResult(client), WatchedKind.Pods, "watched", TimeProvider.System, NullLogger.Instance);
        var listed = await client.CoreV1.CreateNamespacedPodAsync(Pod("listed"), "watched");
        watch.Start();
        await watch.Synced.WaitAsync(TimeSpan.FromSeconds(30));
        var watched = await client.CoreV1.CreateNamespacedPodAsync(Pod("watched"), "watched");
        await UntilAsync(() => watch.Get<V1Pod>("watched") is not null);

        Assert.NotEmpty(listed.Metadata.ManagedFields ?? []);
        Assert.NotEmpty(watched.Metadata.ManagedFields ?? []);
        Assert.Null(watch.Get<V1Pod>("listed")!.Metadata.ManagedFields);
        Assert.Null(watch.Get<V1Pod>("watched")!.Metadata.ManagedFields);
        Assert.Equal("registry.example.com/app:v1", watch.Get<V1Pod>("watched")!.Spec.Containers[0].Image);
    }

    [Fact]
    public async Task EventsAreFiledUnderTheNameOfTheObjectTheyAreAbout()
    {
        await using var watch = new SharedWatch(() => Task.FromResult(client), WatchedKind.Events, "watched", TimeProvider.System, NullLogger.Instance);
        watch.Start();
        await watch.Synced.WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var (name, about) in new[] { ("e1", "api-7d9f"), ("e2", "api-7d9f-x2x"), ("e3", "worker") })
        {
            await client.CoreV1.CreateNamespacedEventAsync(
                new Corev1Event { Metadata = new V1ObjectMeta { Name = name }, InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = about, NamespaceProperty = "watched" }, Reason = "Test", Message = name },
                "watched");
        }

        await UntilAsync(() => watch.Items<Corev1Event>().Count == 3);
        Assert.Equal("e1,e2", Names(watch.Indexed<Corev1Event>(["api-7d9f", "api-7d9f-x2x"])));
        Assert.Equal("e3", Names(watch.Indexed<Corev1Event>(["worker"])));
        Assert.Empty(watch.Indexed<Corev1Event>(["api"]));
    }

    private static string Names<T>(IEnumerable<T> items)
        where T : IKubernetesObject<V1ObjectMeta> =>
        string.Join(',', items.Select(i => i.Metadata.Name).Order(StringComparer.Ordinal));

    private static V1Pod Pod(string name, string? owner = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            OwnerReferences = owner is null ? null : [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "rs-" + owner, Uid = owner }],
        },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "registry.example.com/app:v1" }] },
    };

    private static async Task UntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            Assert.False(timeout.IsCancellationRequested, "The condition did not hold in time.");
            await Task.Delay(20);
        }
    }
}
