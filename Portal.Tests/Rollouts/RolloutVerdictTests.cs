using k8s.Models;
using Portal.Rollouts;

namespace Portal.Tests.Rollouts;

/// <summary>The verdict against a table of Deployment states, each with what kubectl rollout status says of it.</summary>
public sealed class RolloutVerdictTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    public static IEnumerable<object?[]> Table =>
    [
        // name, generation, observedGeneration, spec.replicas, status.replicas, updated, available, progressing reason, applied generation -> phase, message
        [ "spec change not yet observed", 2, 1, 3, 3, 3, 3, null, null, RolloutPhase.Progressing, "Waiting for deployment spec update to be observed..." ],
        [ "our apply not yet observed", 4, 4, 3, 3, 3, 3, null, 5, RolloutPhase.Progressing, "Waiting for deployment spec update to be observed..." ],
        [ "progress deadline exceeded", 2, 2, 3, 4, 1, 3, "ProgressDeadlineExceeded", 2, RolloutPhase.Failed, "deployment \"api\" exceeded its progress deadline" ],
        [ "new replicas being created", 2, 2, 3, 4, 1, 3, "ReplicaSetUpdated", 2, RolloutPhase.Progressing, "Waiting for deployment \"api\" rollout to finish: 1 out of 3 new replicas have been updated..." ],
        [ "old replicas terminating", 2, 2, 3, 4, 3, 3, "ReplicaSetUpdated", 2, RolloutPhase.Progressing, "Waiting for deployment \"api\" rollout to finish: 1 old replicas are pending termination..." ],
        [ "updated replicas not yet available", 2, 2, 3, 3, 3, 2, "ReplicaSetUpdated", 2, RolloutPhase.Progressing, "Waiting for deployment \"api\" rollout to finish: 2 of 3 updated replicas are available..." ],
        [ "complete", 2, 2, 3, 3, 3, 3, "NewReplicaSetAvailable", 2, RolloutPhase.Succeeded, "deployment \"api\" successfully rolled out" ],
        [ "scaled to zero", 3, 3, 0, 0, 0, 0, "NewReplicaSetAvailable", 3, RolloutPhase.Succeeded, "deployment \"api\" successfully rolled out" ],
        [ "generation moved on by the HPA after our apply", 7, 7, 5, 5, 5, 5, "NewReplicaSetAvailable", 6, RolloutPhase.Succeeded, "deployment \"api\" successfully rolled out" ],
        [ "deadline exceeded wins over counts", 2, 2, 3, 3, 3, 3, "ProgressDeadlineExceeded", 2, RolloutPhase.Failed, "deployment \"api\" exceeded its progress deadline" ],
    ];

    [Theory]
    [MemberData(nameof(Table))]
    public void VerdictFollowsKubectlRolloutStatus(string name, int generation, int observed, int? replicas, int statusReplicas, int updated, int available, string? progressingReason, int? applied, RolloutPhase phase, string message)
    {
        var deployment = Deployment(generation, observed, replicas, statusReplicas, updated, available, progressingReason);

        var snapshot = RolloutVerdict.Evaluate(1, deployment, applied, [], [], [], Now.AddMinutes(-1), Now);

        Assert.True((phase, message) == (snapshot.Phase, snapshot.Message), $"{name}: got {snapshot.Phase} '{snapshot.Message}'");
    }

    [Fact]
    public void CrashingNewPodsAreTheBlockingLine()
    {
        var (deployment, newSet, oldSet) = RolloutWithTwoReplicaSets();
        var pods = new[] { Pod("api-new-1", newSet, waiting: "CrashLoopBackOff", restarts: 5), Pod("api-new-2", newSet, waiting: "CrashLoopBackOff", restarts: 3), Pod("api-old-1", oldSet, ready: true) };

        var snapshot = RolloutVerdict.Evaluate(1, deployment, 2, [newSet, oldSet], pods, [], Now.AddMinutes(-1), Now);

        Assert.Equal("2 new pods crash-looping: 5 restarts in 40 s, last exit Error", snapshot.Blocking);
        Assert.Equal(BlockingKind.CrashLoop, snapshot.Blocked);
        Assert.True(snapshot.IsStuck);
        Assert.Equal([true, false], snapshot.ReplicaSets.Select(rs => rs.IsNew));
        Assert.Equal(2, snapshot.Pods.Count(p => p.IsNew));
    }

    [Fact]
    public void ImagePullErrorsAreTheBlockingLine()
    {
        var (deployment, newSet, oldSet) = RolloutWithTwoReplicaSets();

        var snapshot = RolloutVerdict.Evaluate(1, deployment, 2, [newSet, oldSet], [Pod("api-new-1", newSet, waiting: "ImagePullBackOff")], [], Now, Now);

        Assert.Equal("image not found: ImagePullBackOff", snapshot.Blocking);
    }

    [Fact]
    public void UnschedulablePodsNameTheMissingResources()
    {
        var (deployment, newSet, oldSet) = RolloutWithTwoReplicaSets();
        var pending = Pod("api-new-1", newSet, unschedulable: "0/3 nodes are available: 2 Insufficient cpu, 1 Insufficient memory.");

        var snapshot = RolloutVerdict.Evaluate(1, deployment, 2, [newSet, oldSet], [pending, Pod("api-new-2", newSet, unschedulable: "0/3 nodes are available: 3 Insufficient cpu.")], [], Now, Now);

        Assert.Equal("2 new pods cannot be scheduled: insufficient cpu and memory", snapshot.Blocking);
    }

    [Fact]
    public void ASucceededRolloutHasNoBlockingLineAndOnlyItsOwnEvents()
    {
        var deployment = Deployment(2, 2, 1, 1, 1, 1, "NewReplicaSetAvailable");
        var events = new[]
        {
            new Corev1Event { InvolvedObject = new V1ObjectReference { Kind = "Deployment", Name = "api" }, Reason = "ScalingReplicaSet", Message = "Scaled up", LastTimestamp = Now.UtcDateTime, Type = "Normal" },
            new Corev1Event { InvolvedObject = new V1ObjectReference { Kind = "Deployment", Name = "other" }, Reason = "ScalingReplicaSet", Message = "Not ours", LastTimestamp = Now.UtcDateTime, Type = "Normal" },
        };

        var snapshot = RolloutVerdict.Evaluate(1, deployment, 2, [], [], events, Now, Now);

        Assert.Null(snapshot.Blocking);
        Assert.Equal("Scaled up", Assert.Single(snapshot.Events).Message);
    }

    private static (V1Deployment Deployment, V1ReplicaSet New, V1ReplicaSet Old) RolloutWithTwoReplicaSets()
    {
        var deployment = Deployment(2, 2, 2, 3, 1, 1, "ReplicaSetUpdated");
        return (deployment, ReplicaSet("api-new", "2", deployment), ReplicaSet("api-old", "1", deployment));
    }

    private static V1Deployment Deployment(long generation, long observed, int? replicas, int statusReplicas, int updated, int available, string? progressingReason) => new()
    {
        Metadata = new V1ObjectMeta { Name = "api", Uid = "deployment-uid", Generation = generation, Annotations = new Dictionary<string, string> { ["deployment.kubernetes.io/revision"] = "2" } },
        Spec = new V1DeploymentSpec { Replicas = replicas, ProgressDeadlineSeconds = 120 },
        Status = new V1DeploymentStatus
        {
            ObservedGeneration = observed,
            Replicas = statusReplicas,
            UpdatedReplicas = updated,
            AvailableReplicas = available,
            ReadyReplicas = available,
            Conditions = progressingReason is null ? null : [new V1DeploymentCondition { Type = "Progressing", Status = progressingReason == "ProgressDeadlineExceeded" ? "False" : "True", Reason = progressingReason }],
        },
    };

    private static V1ReplicaSet ReplicaSet(string name, string revision, V1Deployment owner) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Uid = name + "-uid",
            Annotations = new Dictionary<string, string> { ["deployment.kubernetes.io/revision"] = revision },
            OwnerReferences = [new V1OwnerReference { Uid = owner.Metadata.Uid, Name = owner.Metadata.Name, Kind = "Deployment", ApiVersion = "apps/v1" }],
        },
        Spec = new V1ReplicaSetSpec { Replicas = 2 },
    };

    [Fact]
    public void CrashLoopExplanationStaysWhileTheRestartedContainerRunsForAMoment()
    {
        var (deployment, newSet, oldSet) = RolloutWithTwoReplicaSets();
        var backingOff = RolloutVerdict.Evaluate(1, deployment, 2, [newSet, oldSet], [Pod("api-new-1", newSet, waiting: "CrashLoopBackOff", restarts: 3)], [], Now.AddMinutes(-1), Now);
        var runningAgain = RolloutVerdict.Evaluate(1, deployment, 2, [newSet, oldSet], [Pod("api-new-1", newSet, restarts: 4)], [], Now.AddMinutes(-1), Now.AddSeconds(20));

        Assert.Equal("1 new pod crash-looping: 3 restarts in 40 s, last exit Error", backingOff.Blocking);
        Assert.Equal("1 new pod crash-looping: 4 restarts in 40 s, last exit Error", runningAgain.Blocking);
        Assert.Equal(BlockingKind.CrashLoop, runningAgain.Blocked);
    }

    [Fact]
    public void TimelineSummaryChangesWithThePhaseOrTheKindOfTroubleButNotWithEachRestart()
    {
        var (deployment, newSet, oldSet) = RolloutWithTwoReplicaSets();
        var summaries = new[] { 1, 2, 3, 7 }
            .Select(restarts => RolloutVerdict.Evaluate(1, deployment, 2, [newSet, oldSet], [Pod("api-new-1", newSet, waiting: restarts % 2 == 0 ? "CrashLoopBackOff" : null, restarts: restarts)], [], Now.AddMinutes(-1), Now.AddSeconds(restarts)).Summary)
            .Distinct()
            .ToList();
        var pulling = RolloutVerdict.Evaluate(1, deployment, 2, [newSet, oldSet], [Pod("api-new-1", newSet, waiting: "ImagePullBackOff")], [], Now.AddMinutes(-1), Now);
        var failed = RolloutVerdict.Evaluate(1, Deployment(2, 2, 2, 3, 1, 1, "ProgressDeadlineExceeded"), 2, [newSet, oldSet], [Pod("api-new-1", newSet, waiting: "CrashLoopBackOff", restarts: 9)], [], Now.AddMinutes(-1), Now);

        Assert.Single(summaries);
        Assert.Contains("crash-looping", summaries[0]);
        Assert.NotEqual(summaries[0], pulling.Summary);
        Assert.NotEqual(summaries[0], failed.Summary);
        Assert.StartsWith("Failed", failed.Summary);
    }

    private static V1Pod Pod(string name, V1ReplicaSet owner, string? waiting = null, int restarts = 0, bool ready = false, string? unschedulable = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, OwnerReferences = [new V1OwnerReference { Uid = owner.Metadata.Uid, Name = owner.Metadata.Name, Kind = "ReplicaSet", ApiVersion = "apps/v1" }] },
        Status = new V1PodStatus
        {
            StartTime = Now.UtcDateTime.AddSeconds(-40),
            Phase = unschedulable is null ? "Running" : "Pending",
            Conditions =
            [
                new V1PodCondition { Type = "PodScheduled", Status = unschedulable is null ? "True" : "False", Reason = unschedulable is null ? null : "Unschedulable", Message = unschedulable },
                new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" },
            ],
            ContainerStatuses = unschedulable is null
                ? [new V1ContainerStatus { Name = "api", RestartCount = restarts, Ready = ready, Image = "api", ImageID = "", State = new V1ContainerState { Waiting = waiting is null ? null : new V1ContainerStateWaiting { Reason = waiting } },
                    LastState = restarts == 0 ? null : new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 1, Reason = "Error", FinishedAt = Now.UtcDateTime } } }]
                : null,
        },
    };
}
