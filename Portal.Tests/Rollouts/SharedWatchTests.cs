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

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
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
