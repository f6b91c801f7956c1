using Portal.Requests;
using Portal.Rollouts;

namespace Portal.Tests.Rollouts;

/// <summary>One word per service and environment, from what was applied, the live Deployment and the tracker's snapshot.</summary>
public sealed class ServiceVerdictTests
{
    private static readonly RequestSpec Spec = new() { ImageRepository = "registry.example.com/payments/api", ImageTag = "v2", Replicas = 3, Resources = new("100m", "500m", "128Mi", "256Mi") };

    [Fact]
    public void NothingAppliedIsNotDeployed()
    {
        var verdict = RolloutVerdict.ForService(null, null, null, null, []);

        Assert.Equal(ServiceState.NotDeployed, verdict.State);
        Assert.Null(verdict.RollbackTo);
    }

    [Fact]
    public void AllReadyAfterASucceededRolloutIsHealthy()
    {
        var verdict = RolloutVerdict.ForService(Applied(RequestState.Succeeded, revision: 2), Live(desired: 3, ready: 3), null, 2, []);

        Assert.Equal((ServiceState.Healthy, "3 of 3 ready"), (verdict.State, verdict.Detail));
        Assert.Null(verdict.RollbackTo);
    }

    [Fact]
    public void AFailedLastRolloutIsFailedWithRollbackToTheLastGoodRevisionEvenWhenAllPodsAreReady()
    {
        // The old ReplicaSet keeps serving, so the counts look fine: the verdict must still not say healthy.
        var verdict = RolloutVerdict.ForService(Applied(RequestState.Failed, revision: null), Live(desired: 3, ready: 3), null, 1, []);

        Assert.Equal(ServiceState.Failed, verdict.State);
        Assert.Equal(1, verdict.RollbackTo);
        Assert.Contains("failed", verdict.Detail);
    }

    [Fact]
    public void ADeploymentPastItsProgressDeadlineIsFailed()
    {
        var live = Live(desired: 3, ready: 2) with { Phase = RolloutPhase.Failed, PhaseMessage = "deployment \"api\" exceeded its progress deadline" };

        var verdict = RolloutVerdict.ForService(Applied(RequestState.Succeeded, revision: 2), live, null, 2, []);

        Assert.Equal((ServiceState.Failed, "deployment \"api\" exceeded its progress deadline"), (verdict.State, verdict.Detail));
    }

    [Fact]
    public void ARolloutHeldUpByACrashLoopIsProgressingWithTheBlockingLineAndRollBackNow()
    {
        var snapshot = new RolloutSnapshot(7, RolloutPhase.Progressing, "Waiting for deployment \"api\" rollout to finish: 0 of 3 updated replicas are available...",
            "1 new pod crash-looping: 3 restarts in 40 s, last exit Error", 3, 1, 0, 0, [], [], [], TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow)
        {
            Blocked = BlockingKind.CrashLoop,
        };

        var verdict = RolloutVerdict.ForService(Applied(RequestState.RollingOut, revision: null, id: 7), Live(desired: 3, ready: 3), snapshot, 1, []);

        Assert.Equal(ServiceState.Progressing, verdict.State);
        Assert.Equal("1 new pod crash-looping: 3 restarts in 40 s, last exit Error", verdict.Blocking);
        Assert.Equal(1, verdict.RollbackTo);
    }

    [Fact]
    public void ARolloutThatIsOnlySlowOffersNoRollback()
    {
        var snapshot = new RolloutSnapshot(7, RolloutPhase.Progressing, "Waiting...", null, 3, 1, 0, 0, [], [], [], TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow);

        var verdict = RolloutVerdict.ForService(Applied(RequestState.RollingOut, revision: null, id: 7), Live(desired: 3, ready: 3), snapshot, 1, []);

        Assert.Equal(ServiceState.Progressing, verdict.State);
        Assert.Null(verdict.RollbackTo);
    }

    [Fact]
    public void FewerReadyThanDesiredOutsideARolloutIsDegraded()
    {
        var verdict = RolloutVerdict.ForService(Applied(RequestState.Succeeded, revision: 2), Live(desired: 3, ready: 1), null, 2, []);

        Assert.Equal((ServiceState.Degraded, "1 of 3 ready"), (verdict.State, verdict.Detail));
    }

    [Fact]
    public void APodLostAfterASucceededRolloutIsDegradedThoughKubectlSaysWaitingForTheRolloutToFinish()
    {
        // kubectl's rules: every replica updated, one not available -> "Waiting for ... 1 of 2 updated replicas are available".
        var live = Live(desired: 2, ready: 1) with { Phase = RolloutPhase.Progressing, PhaseMessage = "Waiting for deployment \"api\" rollout to finish: 1 of 2 updated replicas are available..." };

        var verdict = RolloutVerdict.ForService(Applied(RequestState.Succeeded, revision: 2), live, null, 2, []);

        Assert.Equal((ServiceState.Degraded, "1 of 2 ready"), (verdict.State, verdict.Detail));
    }

    [Fact]
    public void ARestartMadeWithKubectlOutsideThePortalIsProgressingNotDegraded()
    {
        var live = Live(desired: 2, ready: 2) with { Updated = 1, Replicas = 3, Phase = RolloutPhase.Progressing, PhaseMessage = "Waiting for deployment \"api\" rollout to finish: 1 out of 2 new replicas have been updated..." };

        var verdict = RolloutVerdict.ForService(Applied(RequestState.Succeeded, revision: 2), live, null, 2, []);

        Assert.Equal(ServiceState.Progressing, verdict.State);
        Assert.StartsWith("Waiting for deployment", verdict.Detail);
    }

    [Fact]
    public void AServiceScaledToZeroSaysSoAndNotHealthy()
    {
        var applied = new AppliedRevision(3, 2, RequestState.Succeeded, Spec with { Replicas = 0 });

        var verdict = RolloutVerdict.ForService(applied, Live(desired: 0, ready: 0), null, 2, []);

        Assert.Equal(ServiceState.ScaledToZero, verdict.State);
        Assert.DoesNotContain("healthy", verdict.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AClusterThatDiffersFromTheLastApplyIsDrift()
    {
        var applied = Applied(RequestState.Succeeded, revision: 2);
        var live = Live(desired: 3, ready: 3) with { Image = "nginx:9" };

        var verdict = RolloutVerdict.ForService(applied, live, null, 2, EnvironmentStatus.Drift(live, applied));

        Assert.Equal(ServiceState.Drift, verdict.State);
    }

    [Fact]
    public void AMissingDeploymentIsDrift()
    {
        var verdict = RolloutVerdict.ForService(Applied(RequestState.Succeeded, revision: 2), null, null, 2, []);

        Assert.Equal((ServiceState.Drift, "the Deployment is missing from the cluster"), (verdict.State, verdict.Detail));
    }

    private static AppliedRevision Applied(RequestState state, int? revision, int id = 3) => new(id, revision, state, Spec);

    private static LiveDeployment Live(int desired, int ready) =>
        new(Spec.Image, desired, desired, desired, ready, ready, "2", ready > 0 || desired == 0, null,
            new Dictionary<string, string> { ["cpu"] = Spec.Resources.CpuRequest, ["memory"] = Spec.Resources.MemoryRequest },
            new Dictionary<string, string> { ["cpu"] = Spec.Resources.CpuLimit, ["memory"] = Spec.Resources.MemoryLimit },
            null);
}
