using Microsoft.EntityFrameworkCore;
using Portal.Requests;
using Portal.Rollouts;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Rollouts;

/// <summary>
/// The environment setting <c>AutoRollbackAfterRestarts</c>: a rollout whose new pods crash-loop (the Sandbox's
/// <c>crash</c> tag) that many restarts is rolled back at once, under the environment's approval rules; off by default.
/// Every environment's progress deadline is an hour, so no rollback here comes from the deadline.
/// </summary>
public sealed class AutoRollbackAfterRestartsTests : IAsyncLifetime
{
    private static readonly TimeSpan Rollout = TimeSpan.FromSeconds(90);
    private PortalApp app = null!;

    public async Task InitializeAsync() => app = await PortalApp.StartAsync(
        ("Environments:0:Name", "staging"),
        ("Environments:0:ProgressDeadlineSeconds", "3600"),
        ("Environments:0:AutoRollbackAfterRestarts", "2"),
        ("Environments:1:Name", "production"),
        ("Environments:1:RequiresApproval", "true"),
        ("Environments:1:ProgressDeadlineSeconds", "3600"),
        ("Environments:1:AutoRollbackAfterRestarts", "2"),
        ("Environments:2:Name", "canary"),
        ("Environments:2:ProgressDeadlineSeconds", "3600"));

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task ACrashLoopReachingTheRestartLimitIsRolledBackToTheLastGoodRevisionWithoutWaitingForTheDeadline()
    {
        await app.RegisterServiceAsync("restarts-staging");
        var v1 = await app.SubmitRequestAsync("alice", "restarts-staging", "staging", form => { form.ImageTag = "v1"; form.Replicas = 1; });
        await app.MarkDeployedAsync(v1.Id);

        var crash = await app.SubmitRequestAsync("alice", "restarts-staging", "staging", form => form.ImageTag = "v2-crash");

        await app.WaitForStateAsync(crash.Id, RequestState.RolledBack, Rollout);
        var rollback = await app.WithDbAsync(db => db.DeploymentRequests.SingleAsync(r => r.Service.Name == "restarts-staging" && r.RollbackOfRevision == 1));
        Assert.Matches($@"^Automatic rollback: request #{crash.Id} crash-looped \(\d+ restarts\)\.$", rollback.Comment);
        Assert.True(int.Parse(System.Text.RegularExpressions.Regex.Match(rollback.Comment, @"\((\d+) restarts\)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 2, rollback.Comment);
        await app.MarkDeployedAsync(rollback.Id);
        Assert.Contains(":v1", app.Kubectl("get deploy restarts-staging -n payments-staging -o jsonpath={.spec.template.spec.containers[0].image}"));
        var record = await app.WithDbAsync(db => db.RolloutRecords.SingleAsync(r => r.RequestId == crash.Id));
        Assert.StartsWith("stopped and rolled back by request", record.LastSnapshot!.Message);
    }

    [Fact]
    public async Task InAnEnvironmentThatRequiresApprovalTheAutomaticRollbackIsApprovedByThePolicyAsAtTheDeadline()
    {
        await app.RegisterServiceAsync("restarts-production");
        var bob = await app.PrincipalAsync("bob");
        var v1 = await app.SubmitRequestAsync("alice", "restarts-production", "production", form => { form.ImageTag = "v1"; form.Replicas = 1; });
        Assert.True((await app.Get<RequestLifecycle>().ApproveAsync(bob, v1.Id, null)).Succeeded);
        await app.MarkDeployedAsync(v1.Id);
        var crash = await app.SubmitRequestAsync("alice", "restarts-production", "production", form => form.ImageTag = "v2-crash");

        Assert.True((await app.Get<RequestLifecycle>().ApproveAsync(bob, crash.Id, null)).Succeeded);

        // Today's rules: an automatic rollback needs no Approver (ApprovalPolicy), production or not.
        await app.WaitForStateAsync(crash.Id, RequestState.RolledBack, Rollout);
        var rollback = await app.WithDbAsync(db => db.DeploymentRequests.Include(r => r.Decisions).SingleAsync(r => r.Service.Name == "restarts-production" && r.RollbackOfRevision == 1));
        Assert.StartsWith($"Automatic rollback: request #{crash.Id} crash-looped", rollback.Comment);
        var decision = Assert.Single(rollback.Decisions);
        Assert.Equal((DecisionKind.Approved, RequestLifecycle.PolicyActor), (decision.Kind, decision.DecidedBy));
        await app.MarkDeployedAsync(rollback.Id);
        Assert.Contains(":v1", app.Kubectl("get deploy restarts-production -n payments-production -o jsonpath={.spec.template.spec.containers[0].image}"));
    }

    [Fact]
    public async Task WithoutTheSettingACrashLoopPastTheLimitIsNotRolledBack()
    {
        await app.RegisterServiceAsync("restarts-canary");
        var v1 = await app.SubmitRequestAsync("alice", "restarts-canary", "canary", form => { form.ImageTag = "v1"; form.Replicas = 1; });
        await app.MarkDeployedAsync(v1.Id);

        var crash = await app.SubmitRequestAsync("alice", "restarts-canary", "canary", form => form.ImageTag = "v2-crash");

        // Past the limit the other environments have (2), and one more restart for good measure.
        await Poll.UntilAsync(
            () => app.Get<RolloutNotifier>().Latest(crash.Id) is { } snapshot && snapshot.Pods.Where(p => p.IsNew).Select(p => p.Restarts).DefaultIfEmpty(0).Max() >= 3,
            Rollout,
            "The new pod did not reach 3 restarts.");
        Assert.Equal(RequestState.RollingOut, (await app.WithDbAsync(db => db.DeploymentRequests.SingleAsync(r => r.Id == crash.Id))).State);
        Assert.False(await app.WithDbAsync(db => db.DeploymentRequests.AnyAsync(r => r.Service.Name == "restarts-canary" && r.RollbackOfRevision != null)));
    }
}
