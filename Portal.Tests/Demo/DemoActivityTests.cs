using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Catalog;
using Portal.Demo;
using Portal.Identity;
using Portal.Requests;
using Portal.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Portal.Tests.Demo;

/// <summary>
/// A fresh portal in demo mode, as `dotnet run --project Portal` starts it (demo registry, demo activity, the Sandbox at
/// real speed): a living system within a minute, played through the request path so the cluster matches the history.
/// </summary>
public sealed class DemoActivityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly PortalApp app = new PortalApp()
        .With("Sandbox:Registry", "true")
        .With("Sandbox:Speed", "1")
        .With("Portal:DemoActivity", "true");

    public Task InitializeAsync() => app.InitializeAsync();

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task AFreshDemoShowsDeployedServicesARolloutInProgressAFailedRolloutAndARequestWaitingForBob()
    {
        var started = Stopwatch.StartNew();
        await app.Get<DemoActivity>().Completion.WaitAsync(TimeSpan.FromSeconds(150));
        output.WriteLine($"Demo story played in {started.Elapsed.TotalSeconds:0.0} s");

        var requests = await app.WithDbAsync(db => db.DeploymentRequests.AsNoTracking().Include(r => r.Service).ThenInclude(s => s.Team).ToListAsync());
        var services = requests.Select(r => r.Service.Name).Distinct().ToList();
        Assert.Equal(6, services.Count);
        Assert.Contains(requests, r => r.Service.Name == "settlement-worker" && r.Service.Kind == ServiceKind.Worker && r.Spec.Kind == ServiceKind.Worker);
        Assert.Contains(requests, r => r.Service.Name == "payments-ledger" && r.Spec.Volumes is [{ Name: DemoActivity.LedgerVolume }]);
        Assert.Contains("payments", requests.Select(r => r.Service.Team.Name));
        Assert.Contains("search", requests.Select(r => r.Service.Team.Name));
        foreach (var service in services)
        {
            foreach (var environment in new[] { "staging", "production" })
            {
                Assert.Contains(requests, r => r.Service.Name == service && r.Environment == environment && r.State == RequestState.Succeeded);
            }
        }

        Assert.Contains(requests, r => r.Revision >= 3);

        var waiting = Assert.Single(requests, r => r.State == RequestState.AwaitingApproval);
        Assert.Equal(("payments-api", "production"), (waiting.Service.Name, waiting.Environment));
        Assert.True(await app.Get<TeamAccess>().CanApproveAsync(await app.PrincipalAsync("bob"), waiting.Service.TeamId));
        Assert.NotEqual(TeamAccess.UserId(await app.PrincipalAsync("bob")), waiting.RequestedById);

        var crashed = Assert.Single(requests, r => r.ImageTag == DemoActivity.CrashTag);
        Assert.Equal(RequestState.RolledBack, crashed.State);
        var record = await app.WithDbAsync(db => db.RolloutRecords.AsNoTracking().SingleAsync(r => r.RequestId == crashed.Id));
        Assert.Equal(Portal.Rollouts.RolloutPhase.Failed, record.LastSnapshot!.Phase);
        Assert.Contains("crash-looping", record.LastSnapshot.Blocking);
        Assert.Contains(record.Timeline, t => t.Summary.Contains("crash-looping", StringComparison.Ordinal));

        var slow = Assert.Single(requests, r => r.Service.Name == "search-indexer" && r.Environment == "staging" && r.ImageTag == "v1.4.0");
        await app.WaitForStateAsync(slow.Id, RequestState.RollingOut, TimeSpan.FromSeconds(30));

        // The cluster runs what the history says: staging's payments-api was rolled back to v1.4.2 (once the rollback
        // request, which the story only makes, has been applied).
        var rollback = Assert.Single(requests, r => r.Service.Name == crashed.Service.Name && r.Environment == crashed.Environment && r.RollbackOfRevision != null);
        await app.WaitForStateAsync(rollback.Id, RequestState.Succeeded, TimeSpan.FromSeconds(60));
        var image = app.Kubectl("get deploy payments-api -n payments-staging -o jsonpath={.spec.template.spec.containers[0].image}");
        Assert.Contains("payments/api:v1.4.2@sha256:", image);
        // The ledger's journal is a bound claim; the worker has a Deployment and no Service.
        Assert.Equal("Bound", app.Kubectl($"get pvc payments-ledger-{DemoActivity.LedgerVolume} -n payments-production -o jsonpath={{.status.phase}}").Trim());
        Assert.Contains("settlement-worker", app.Kubectl("get deploy settlement-worker -n payments-production -o name"));
        Assert.DoesNotContain("settlement-worker", app.Kubectl("get svc -n payments-production -o name"));
        output.WriteLine($"Checked after {started.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task TheDemoIsPlayedOnlyOnAFreshDatabase()
    {
        var data = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("n"));
        int count;
        await using (var first = PortalApp.Reusing(data).With("Sandbox:Registry", "true").With("Portal:DemoActivity", "true"))
        {
            await first.InitializeAsync();
            await first.Get<DemoActivity>().Completion.WaitAsync(TimeSpan.FromSeconds(150));
            count = await first.WithDbAsync(db => db.DeploymentRequests.CountAsync());
        }

        await using var again = PortalApp.Reusing(data).With("Sandbox:Registry", "true").With("Portal:DemoActivity", "true");
        await again.InitializeAsync();
        await again.Get<DemoActivity>().Completion.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(count > 10, $"the first start played {count} requests");
        Assert.Equal(count, await again.WithDbAsync(db => db.DeploymentRequests.CountAsync()));
    }

    [Fact]
    public async Task TestPortalsPlayNoDemoUnlessAsked()
    {
        await using var plain = new PortalApp();
        await plain.InitializeAsync();

        Assert.Null(plain.Services.GetService(typeof(DemoActivity)));
        Assert.Equal(2, await plain.WithDbAsync(db => db.Services.CountAsync()));
    }
}
