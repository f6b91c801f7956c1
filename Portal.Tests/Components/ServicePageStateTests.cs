using Bunit;
using Microsoft.EntityFrameworkCore;
using Portal.Catalog.Pages;
using Portal.Requests;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

/// <summary>The service page's one verdict per environment, against real rollouts in the embedded Sandbox.</summary>
public sealed class ServicePageStateTests : PortalComponentTest
{
    private static readonly TimeSpan Rollout = TimeSpan.FromSeconds(60);

    public ServicePageStateTests(PortalApp app)
        : base(app)
    {
    }

    [Fact]
    public async Task AServiceNeverDeployedSaysNotDeployedEverywhere()
    {
        await App.RegisterServiceAsync("state-none");
        await SignInAsAsync("alice");

        var cut = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "state-none"));

        cut.WaitForAssertion(() => Assert.Equal("Not deployed", cut.Find("#status-staging").TextContent.Trim()));
        Assert.Equal("Not deployed", cut.Find("#status-production").TextContent.Trim());
    }

    [Fact]
    public async Task ASucceededRolloutWithEveryPodReadyIsHealthy()
    {
        await App.RegisterServiceAsync("state-healthy");
        var v1 = await App.SubmitRequestAsync("alice", "state-healthy", "staging", form => { form.ImageTag = "v1"; form.Replicas = 2; });
        await App.MarkDeployedAsync(v1.Id);
        await SignInAsAsync("alice");

        var cut = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "state-healthy"));

        cut.WaitForAssertion(() => Assert.Equal("Healthy", cut.Find("#status-staging").TextContent.Trim()));
        Assert.Contains("2 of 2 ready", cut.Find("#live-replicas-staging").TextContent);
        Assert.Empty(cut.FindAll("#rollback-now-staging"));
    }

    [Fact]
    public async Task AProductionServiceScaledToZeroSaysScaledToZeroNotHealthy()
    {
        await App.RegisterServiceAsync("state-zero");
        var request = await App.SubmitRequestAsync("alice", "state-zero", "production", form => { form.ImageTag = "v1"; form.Replicas = 0; });
        Assert.True((await App.Get<RequestLifecycle>().ApproveAsync(await App.PrincipalAsync("bob"), request.Id, null)).Succeeded);
        await App.MarkDeployedAsync(request.Id);
        await SignInAsAsync("alice");

        var cut = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "state-zero"));

        cut.WaitForAssertion(() => Assert.Equal("Scaled to zero", cut.Find("#status-production").TextContent.Trim()));
        Assert.DoesNotContain("Healthy", cut.Find("#live-production").TextContent);
    }

    [Fact]
    public async Task APodLostAfterASucceededRolloutMakesTheServiceDegradedUntilItIsReplaced()
    {
        await App.RegisterServiceAsync("state-degraded");
        var v1 = await App.SubmitRequestAsync("alice", "state-degraded", "staging", form => { form.ImageTag = "v1"; form.Replicas = 2; });
        await App.MarkDeployedAsync(v1.Id);
        await SignInAsAsync("alice");
        var cut = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "state-degraded"));
        cut.WaitForAssertion(() => Assert.Equal("Healthy", cut.Find("#status-staging").TextContent.Trim()));

        // Every node cordoned, then a pod deleted: its replacement cannot be scheduled, outside any rollout.
        var nodes = App.Kubectl("get nodes -o name").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(nodes);
        try
        {
            foreach (var node in nodes)
            {
                App.KubectlSucceeds($"cordon {node}");
            }

            var pod = App.Kubectl("get pods -n payments-staging -l app.kubernetes.io/name=state-degraded -o name").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
            App.KubectlSucceeds($"delete {pod} -n payments-staging --wait=false");

            cut.WaitForAssertion(() => Assert.Equal("Degraded", cut.Find("#status-staging").TextContent.Trim()), Rollout);
            Assert.Contains("1 of 2 ready", cut.Find("#status-detail-staging").TextContent);
            Assert.DoesNotContain("Healthy", cut.Find("#live-staging").TextContent);
        }
        finally
        {
            foreach (var node in nodes)
            {
                App.KubectlSucceeds($"uncordon {node}");
            }
        }

        cut.WaitForAssertion(() => Assert.Equal("Healthy", cut.Find("#status-staging").TextContent.Trim()), Rollout);
    }

    [Fact]
    public async Task ACrashingRolloutThatFailedItsDeadlineIsFailedWithRollBackToTheLastGoodRevision()
    {
        await App.RegisterServiceAsync("state-failed");
        var v1 = await App.SubmitRequestAsync("alice", "state-failed", "staging", form => { form.ImageTag = "v1"; form.Replicas = 1; });
        await App.MarkDeployedAsync(v1.Id);
        var crash = await App.SubmitRequestAsync("alice", "state-failed", "staging", form => form.ImageTag = "v2-crash");
        await App.WaitForStateAsync(crash.Id, RequestState.Failed, Rollout);
        await SignInAsAsync("alice");
        var dialogs = RenderDialogProvider();

        var cut = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "state-failed"));

        cut.WaitForAssertion(() => Assert.Equal("Failed", cut.Find("#status-staging").TextContent.Trim()));
        Assert.DoesNotContain("Healthy", cut.Find("#live-staging").TextContent);
        Assert.Equal("Roll back to revision 1", cut.Find("#rollback-now-staging").TextContent.Trim());

        // The live status re-renders on every watch event: find and click in one step, again if the button was replaced.
        cut.WaitForAssertion(() => cut.Click("#rollback-now-staging"), Rollout);
        Assert.Contains("back to revision 1 (v1)", dialogs.WaitForElement("#rollback-confirm").TextContent);
        Confirm(dialogs);

        await App.WaitForStateAsync(crash.Id, RequestState.RolledBack);
        var rollback = await App.WithDbAsync(db => db.DeploymentRequests.Where(r => r.RollbackOfRevision == 1 && r.Service.Name == "state-failed").SingleAsync());
        await App.MarkDeployedAsync(rollback.Id);
        cut.WaitForAssertion(() => Assert.Equal("Healthy", cut.Find("#status-staging").TextContent.Trim()), Rollout);
    }

    [Fact]
    public async Task RollBackNowOnAStuckRolloutStopsItAndRestoresTheLastGoodRevisionWithoutWaitingForTheDeadline()
    {
        await App.RegisterServiceAsync("state-stuck");
        var v1 = await App.SubmitRequestAsync("alice", "state-stuck", "staging", form => { form.ImageTag = "v1"; form.Replicas = 1; });
        await App.MarkDeployedAsync(v1.Id);
        var crash = await App.SubmitRequestAsync("alice", "state-stuck", "staging", form => form.ImageTag = "v2-crash");
        await SignInAsAsync("alice");
        var dialogs = RenderDialogProvider();
        var cut = Render<ServiceDetail>(p => p.Add(x => x.Team, "payments").Add(x => x.Name, "state-stuck"));

        cut.WaitForAssertion(() => Assert.Contains("crash-looping", cut.Find("#status-blocking-staging").TextContent), Rollout);
        Assert.Equal("Progressing", cut.Find("#status-staging").TextContent.Trim());
        // The live status re-renders on every watch event: find and click in one step, again if the button was replaced.
        cut.WaitForAssertion(() => cut.Click("#rollback-now-staging"), Rollout);
        Confirm(dialogs);

        await App.WaitForStateAsync(crash.Id, RequestState.RolledBack);
        var rollback = await App.WithDbAsync(db => db.DeploymentRequests.Where(r => r.RollbackOfRevision == 1 && r.Service.Name == "state-stuck").SingleAsync());
        await App.MarkDeployedAsync(rollback.Id);
        cut.WaitForAssertion(() => Assert.Equal("Healthy", cut.Find("#status-staging").TextContent.Trim()), Rollout);
        Assert.Contains(":v1", cut.Find("#live-image-staging").TextContent);
        var record = await App.WithDbAsync(db => db.RolloutRecords.SingleAsync(r => r.RequestId == crash.Id));
        Assert.Equal(Portal.Rollouts.RolloutPhase.Failed, record.LastSnapshot!.Phase);
        Assert.StartsWith("stopped and rolled back by request", record.LastSnapshot.Message);
    }
}
