using System.Net;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Rollouts;
using Portal.Tests.Infrastructure;
using Sandbox;

namespace Portal.Tests.Rollouts;

/// <summary>
/// The portal pointed at a Sandbox the test starts and stops itself (as <c>Clusters:default</c>, through its kubeconfig),
/// to see what happens when the API server goes away and when the portal restarts.
/// </summary>
public sealed class ClusterOutageTests : IAsyncLifetime
{
    private readonly string clusterState = Path.Combine(Path.GetTempPath(), "portal-tests", "cluster-" + Guid.NewGuid().ToString("n"));
    private readonly string kubeconfig;
    private readonly int port = FreePort();
    private SandboxHost? cluster;

    public ClusterOutageTests() => kubeconfig = Path.Combine(clusterState, "kubeconfig");

    public async Task InitializeAsync() => await StartClusterAsync();

    public async Task DisposeAsync()
    {
        await StopClusterAsync();
        Directory.Delete(clusterState, recursive: true);
    }

    [Fact]
    public async Task ApplyRetriesWhileTheApiServerIsDownAndSucceedsWhenItReturns()
    {
        await using var app = await StartPortalAsync();
        var alice = await app.ClientAsync("alice");
        await StopClusterAsync();

        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", replicas = 1 })).SubmittedIdAsync();
        await WaitUntilAsync(app, async db => (await db.RolloutRecords.SingleOrDefaultAsync(r => r.RequestId == id))?.ApplyAttempts >= 2);
        var waiting = app.Get<RolloutNotifier>().Latest(id);
        await StartClusterAsync();

        await app.WaitForStateAsync(id, RequestState.Succeeded);
        Assert.Equal(RolloutPhase.Applying, waiting!.Phase);
        Assert.StartsWith("Retrying in", waiting.Message);
        var record = await app.WithDbAsync(db => db.RolloutRecords.SingleAsync(r => r.RequestId == id));
        Assert.Contains(record.Timeline, t => t.Summary.StartsWith("Apply attempt 1 failed: cannot reach the cluster", StringComparison.Ordinal));
        Assert.Contains(record.Timeline, t => t.Summary.StartsWith("Applied after", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClusterThatWasDownWhenThePortalStartedIsUsedOnceItComesUp()
    {
        // Not even its kubeconfig is there yet: the first connection fails, and must not be remembered as failed.
        await StopClusterAsync();
        File.Delete(kubeconfig);
        await using var app = await StartPortalAsync();
        var alice = await app.ClientAsync("alice");

        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", replicas = 2 })).SubmittedIdAsync();
        await WaitUntilAsync(app, async db => (await db.RolloutRecords.SingleOrDefaultAsync(r => r.RequestId == id))?.ApplyAttempts >= 1);
        await StartClusterAsync();

        await app.WaitForStateAsync(id, RequestState.Succeeded, TimeSpan.FromSeconds(90));
        var record = await app.WithDbAsync(db => db.RolloutRecords.SingleAsync(r => r.RequestId == id));
        Assert.Equal((RolloutPhase.Succeeded, 2), (record.LastSnapshot!.Phase, record.LastSnapshot.Ready));
    }

    [Fact]
    public async Task AnUnreachableClusterHoldsUpOnlyTheEnvironmentsOnIt()
    {
        var unreachable = Path.Combine(clusterState, "unreachable.kubeconfig");
        await File.WriteAllTextAsync(unreachable, (await File.ReadAllTextAsync(kubeconfig)).Replace($":{port}", $":{FreePort()}", StringComparison.Ordinal));
        await using var app = await StartPortalAsync(
            ("Clusters:far:Kubeconfig", unreachable),
            ("Environments:0:Name", "staging"),
            ("Environments:1:Name", "remote"),
            ("Environments:1:Cluster", "far"));
        var alice = await app.ClientAsync("alice");

        var stuck = await (await alice.SubmitAsync("payments", "payments-api", "remote", new { imageTag = "v1" })).SubmittedIdAsync();
        await WaitUntilAsync(app, async db => (await db.RolloutRecords.SingleOrDefaultAsync(r => r.RequestId == stuck))?.ApplyAttempts >= 1);
        var staging = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1", replicas = 1 })).SubmittedIdAsync();

        await app.WaitForStateAsync(staging, RequestState.Succeeded);
        Assert.Equal(RequestState.Applying, await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == stuck).Select(r => r.State).SingleAsync()));
    }

    [Fact]
    public async Task ApplyThatNeverGetsThroughFailsAfterTheConfiguredAttempts()
    {
        await using var app = await StartPortalAsync(("Rollouts:MaxApplyAttempts", "2"));
        var alice = await app.ClientAsync("alice");
        await StopClusterAsync();

        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1" })).SubmittedIdAsync();

        await app.WaitForStateAsync(id, RequestState.Failed);
        var reason = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.RequestId == id && e.To == RequestState.Failed).Select(e => e.Comment).SingleAsync());
        Assert.StartsWith("The cluster could not be reached after 2 attempts", reason);
    }

    [Fact]
    public async Task ChangeTheApiServerRefusesFailsAtOnceWithItsMessage()
    {
        // Credentials the API server does not accept: an answer, not an outage, so there is no retrying.
        var wrong = Path.Combine(clusterState, "wrong-token.kubeconfig");
        await File.WriteAllTextAsync(wrong, (await File.ReadAllTextAsync(kubeconfig)).Replace($"token: {cluster!.Token}", "token: not-the-token", StringComparison.Ordinal));
        await using var app = await StartPortalAsync(("Clusters:default:Kubeconfig", wrong));
        var alice = await app.ClientAsync("alice");

        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1" })).SubmittedIdAsync();

        await app.WaitForStateAsync(id, RequestState.Failed);
        var reason = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.RequestId == id && e.To == RequestState.Failed).Select(e => e.Comment).SingleAsync());
        Assert.StartsWith("The cluster refused the change: 401", reason);
        Assert.Equal(1, await app.WithDbAsync(db => db.RolloutRecords.Where(r => r.RequestId == id).Select(r => r.ApplyAttempts).SingleAsync()));
    }

    [Fact]
    public async Task PortalRestartedMidRolloutResumesFollowingIt()
    {
        var data = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("n"));
        int id;
        await using (var first = await StartPortalAsync(data))
        {
            var alice = await first.ClientAsync("alice");
            id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1-slow", replicas = 2 })).SubmittedIdAsync();
            await first.WaitForStateAsync(id, RequestState.RollingOut);
        }

        await using var second = await StartPortalAsync(data);

        await second.WaitForStateAsync(id, RequestState.Succeeded, TimeSpan.FromSeconds(60));
        var record = await second.WithDbAsync(db => db.RolloutRecords.SingleAsync(r => r.RequestId == id));
        Assert.Equal(RolloutPhase.Succeeded, record.LastSnapshot!.Phase);
        Directory.Delete(data, recursive: true);
    }

    [Fact]
    public async Task RolloutFollowingReconnectsWhenTheApiServerComesBack()
    {
        await using var app = await StartPortalAsync();
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1-slow", replicas = 1 })).SubmittedIdAsync();
        await app.WaitForStateAsync(id, RequestState.RollingOut);

        await StopClusterAsync();
        await StartClusterAsync();

        await app.WaitForStateAsync(id, RequestState.Succeeded, TimeSpan.FromSeconds(90));
    }

    private Task<PortalApp> StartPortalAsync(params (string, string?)[] settings) => StartPortalAsync(null, settings);

    private async Task<PortalApp> StartPortalAsync(string? dataDirectory, params (string Key, string? Value)[] settings)
    {
        var app = dataDirectory is null ? new PortalApp() : PortalApp.Reusing(dataDirectory);
        app.With("Clusters:default:Kubeconfig", kubeconfig);
        foreach (var (key, value) in settings)
        {
            app.With(key, value);
        }

        await app.InitializeAsync();
        return app;
    }

    private async Task StartClusterAsync()
    {
        // Same port, state and CA each time: to the portal it is the same API server coming back.
        cluster = new SandboxHost(new SandboxOptions { Port = port, StateDirectory = clusterState, Time = new AcceleratedTimeProvider(20) });
        await cluster.StartAsync();
        await cluster.WriteKubeconfigAsync(kubeconfig);
    }

    private async Task StopClusterAsync()
    {
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
            cluster = null;
        }
    }

    private static Task WaitUntilAsync(PortalApp app, Func<Portal.Data.PortalDbContext, Task<bool>> condition) =>
        Poll.UntilAsync(() => app.WithDbAsync(condition), TimeSpan.FromSeconds(30));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
