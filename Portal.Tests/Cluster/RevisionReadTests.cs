using Portal.Cluster;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Cluster;

/// <summary>The shared revision read and the findings kept by revision, without a cluster.</summary>
public sealed class RevisionReadTests
{
    [Fact]
    public async Task ACallerArrivingWhileAReadIsInFlightGetsTheNextReadNotTheOneAlreadySent()
    {
        var reads = new List<TaskCompletionSource<int>>();
        var coalesced = new Coalesced<int>(() =>
        {
            var read = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (reads)
            {
                reads.Add(read);
            }

            return read.Task;
        });

        var first = coalesced.NextAsync();
        var second = coalesced.NextAsync();
        var third = coalesced.NextAsync();
        Assert.Single(reads);
        reads[0].SetResult(1);

        Assert.Equal(1, await first);
        await Poll.UntilAsync(() => { lock (reads) { return reads.Count == 2; } }, TimeSpan.FromSeconds(10), "The waiting callers' read was not sent.");
        Assert.False(second.IsCompleted);
        reads[1].SetResult(2);
        Assert.Equal(2, await second);
        Assert.Equal(2, await third);
        Assert.Equal(2, reads.Count);

        var later = coalesced.NextAsync();
        await Poll.UntilAsync(() => { lock (reads) { return reads.Count == 3; } }, TimeSpan.FromSeconds(10), "A caller after the reads ended got no read of its own.");
        reads[2].SetResult(3);
        Assert.Equal(3, await later);
    }

    [Fact]
    public async Task FindingsAreReusedAtTheSameRevisionOnlyAndAnUnreachableClusterIsNeverKept()
    {
        var cache = new FindingsCache();
        var asked = 0;
        var compared = new ClusterFindings(new LiveDiffResult(LiveDiffStatus.Compared, null, []), null, CapacityCheckMode.Off);
        var unreachable = new ClusterFindings(LiveDiffResult.Unreachable("down"), null, CapacityCheckMode.Off);
        Task<ClusterFindings> Ask(ClusterFindings answer)
        {
            Interlocked.Increment(ref asked);
            return Task.FromResult(answer);
        }

        Assert.Same(compared, await cache.GetAsync("a", "10", () => Ask(compared), default));
        Assert.Same(compared, await cache.GetAsync("a", "10", () => Ask(compared), default));
        Assert.Equal(1, asked);

        await cache.GetAsync("a", "11", () => Ask(compared), default);
        Assert.Equal(2, asked);
        await cache.GetAsync("b", "11", () => Ask(compared), default);
        Assert.Equal(3, asked);
        await cache.GetAsync("a", null, () => Ask(compared), default);
        Assert.Equal(4, asked);

        await cache.GetAsync("c", "11", () => Ask(unreachable), default);
        await cache.GetAsync("c", "11", () => Ask(unreachable), default);
        Assert.Equal(6, asked);
    }

    [Fact]
    public async Task CallersAskingTheSameAtTheSameRevisionShareOneDryRun()
    {
        var cache = new FindingsCache();
        var asked = 0;
        var answer = new TaskCompletionSource<ClusterFindings>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<ClusterFindings> Ask()
        {
            Interlocked.Increment(ref asked);
            return answer.Task;
        }

        var callers = Enumerable.Range(0, 16).Select(_ => cache.GetAsync("same", "7", Ask, default)).ToList();
        answer.SetResult(new ClusterFindings(new LiveDiffResult(LiveDiffStatus.Refused, "Namespace x: invalid", []), null, CapacityCheckMode.Block));

        foreach (var findings in await Task.WhenAll(callers))
        {
            Assert.True(findings.Blocks);
            Assert.Equal("Namespace x: invalid", findings.Diff.Message);
        }

        Assert.Equal(1, asked);
    }

    [Fact]
    public void TheKeyDependsOnEveryManifestIncludingSecretValuesButNeverShowsThem()
    {
        var cache = new FindingsCache();
        var environment = new DeploymentEnvironment { Name = "staging" };
        Manifests Build(string secret) => ManifestBuilder.Build(new ManifestInput(0, "payments", "key-api", environment,
            new RequestSpec
            {
                ImageRepository = "registry.example.com/payments/key-api",
                ImageTag = "v1",
                Replicas = 2,
                Resources = new ResourceSpec("250m", "500m", "256Mi", "512Mi"),
                Secrets = [new SecretRef("TOKEN", 1)],
                ContainerPort = 8080,
            },
            new Dictionary<string, string> { ["TOKEN"] = secret }));

        var one = cache.Key("default", CapacityCheckMode.Warn, Build("first-secret-value"));

        Assert.Equal(one, cache.Key("default", CapacityCheckMode.Warn, Build("first-secret-value")));
        Assert.NotEqual(one, cache.Key("default", CapacityCheckMode.Warn, Build("second-secret-value")));
        Assert.NotEqual(one, cache.Key("default", CapacityCheckMode.Block, Build("first-secret-value")));
        Assert.NotEqual(one, cache.Key("other", CapacityCheckMode.Warn, Build("first-secret-value")));
        Assert.DoesNotContain("first-secret-value", one, StringComparison.Ordinal);
        Assert.NotEqual(one, new FindingsCache().Key("default", CapacityCheckMode.Warn, Build("first-secret-value")));
    }
}
