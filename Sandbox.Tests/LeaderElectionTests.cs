using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;

namespace Sandbox.Tests;

/// <summary>KubernetesClient's LeaderElector with a LeaseLock against the Sandbox's leases.</summary>
public sealed class LeaderElectionTests
{
    [Fact]
    public async Task OneOfTwoElectorsLeadsAndTheOtherTakesOverWhenItStops()
    {
        await using var cluster = await TestCluster.StartAsync(time: TimeProvider.System);
        var leaders = new List<string>();
        var gate = new object();
        LeaderElector Elector(string identity)
        {
            var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.KubeconfigPath));
            var elector = new LeaderElector(new LeaderElectionConfig(new LeaseLock(client, "default", "portal-leader", identity))
            {
                LeaseDuration = TimeSpan.FromSeconds(2),
                RenewDeadline = TimeSpan.FromSeconds(1),
                RetryPeriod = TimeSpan.FromMilliseconds(200),
            });
            elector.OnStartedLeading += () => { lock (gate) { leaders.Add(identity); } };
            return elector;
        }

        using var first = Elector("first");
        using var stopFirst = new CancellationTokenSource();
        var firstRun = first.RunUntilLeadershipLostAsync(stopFirst.Token);
        await Eventually.TrueAsync(() => { lock (gate) { return leaders.Count == 1; } }, "the first elector to lead");

        using var second = Elector("second");
        using var stopSecond = new CancellationTokenSource();
        var secondRun = second.RunUntilLeadershipLostAsync(stopSecond.Token);
        await Eventually.TrueAsync(async () =>
            (await cluster.Client.CoordinationV1.ReadNamespacedLeaseAsync("portal-leader", "default")).Spec.RenewTime is not null, "the lease to be renewed");
        lock (gate)
        {
            Assert.Equal(["first"], leaders);
        }

        await stopFirst.CancelAsync();
        await Eventually.TrueAsync(() => { lock (gate) { return leaders.Count == 2; } }, "the second elector to take over", timeoutSeconds: 20);
        lock (gate)
        {
            Assert.Equal(["first", "second"], leaders);
        }

        var lease = await cluster.Client.CoordinationV1.ReadNamespacedLeaseAsync("portal-leader", "default");
        Assert.Equal("second", lease.Spec.HolderIdentity);

        await stopSecond.CancelAsync();
        await Task.WhenAll(firstRun.ContinueWith(_ => { }), secondRun.ContinueWith(_ => { }));
    }
}
