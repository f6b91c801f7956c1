using System.Text.Json.Nodes;
using Sandbox.Controllers;

namespace Sandbox.Tests.Controllers;

/// <summary>
/// The rolling-update arithmetic against the Deployment controller's rules (deployment_util.go, rolling.go).
/// Expected sequences were worked out by hand from those rules: each sync first tries to grow the new ReplicaSet
/// (NewRSNewReplicas) and only if that did nothing shrinks old ones (reconcileOldReplicaSets); between syncs the
/// pods that exist become available.
/// </summary>
public sealed class RollingUpdateArithmeticTests
{
    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(3, 1, 0)]
    [InlineData(4, 1, 1)]
    [InlineData(10, 3, 2)]
    [InlineData(100, 25, 25)]
    public void DefaultsOfTwentyFivePercentRoundSurgeUpAndUnavailabilityDown(int replicas, int surge, int unavailable)
    {
        var resolved = RollingUpdate.Resolve(IntOrPercent.TwentyFivePercent, IntOrPercent.TwentyFivePercent, replicas);

        Assert.Equal((surge, unavailable), resolved);
    }

    [Fact]
    public void PercentagesAndIntegersResolveAgainstTheReplicaCount()
    {
        Assert.Equal((5, 0), RollingUpdate.Resolve(new IntOrPercent(50, true), new IntOrPercent(0, false), 10));
        Assert.Equal((2, 1), RollingUpdate.Resolve(new IntOrPercent(2, false), new IntOrPercent(1, false), 10));
        Assert.Equal((1, 3), RollingUpdate.Resolve(new IntOrPercent(1, true), new IntOrPercent(33, true), 10));
    }

    [Fact]
    public void FencepostsThatRoundToZeroBothLeaveOnePodUnavailable()
    {
        Assert.Equal((0, 1), RollingUpdate.Resolve(new IntOrPercent(0, true), new IntOrPercent(1, true), 2));
        Assert.Equal((0, 1), RollingUpdate.Resolve(new IntOrPercent(0, false), new IntOrPercent(10, true), 5));
    }

    [Fact]
    public void MaxUnavailableNeverExceedsTheReplicaCount()
    {
        Assert.Equal((0, 3), RollingUpdate.Resolve(new IntOrPercent(0, false), new IntOrPercent(5, false), 3));
    }

    [Fact]
    public void BothFencepostsZeroIsInvalid()
    {
        var error = RollingUpdate.Validate(new IntOrPercent(0, false), new IntOrPercent(0, true));

        Assert.Contains("may not be 0 when `maxSurge` is 0", error);
        Assert.Null(RollingUpdate.Validate(new IntOrPercent(0, false), new IntOrPercent(1, false)));
    }

    [Theory]
    [InlineData("25%", 25, true)]
    [InlineData("3", 3, false)]
    [InlineData("0%", 0, true)]
    public void IntOrPercentReadsStringsAndNumbers(string text, int value, bool percent)
    {
        Assert.Equal(new IntOrPercent(value, percent), IntOrPercent.Parse(JsonValue.Create(text)));
        Assert.Equal(new IntOrPercent(7, false), IntOrPercent.Parse(JsonValue.Create(7)));
    }

    [Theory]
    [InlineData(1, "25%", "25%", "1,0 1,1 0,1")]
    [InlineData(3, "25%", "25%", "3,0 3,1 2,1 2,2 1,2 1,3 0,3")]
    [InlineData(4, "25%", "25%", "4,0 3,1 3,2 1,2 1,4 0,4")]
    [InlineData(10, "25%", "25%", "10,0 8,3 8,5 3,5 3,10 0,10")]
    [InlineData(4, "0", "1", "4,0 3,0 3,1 2,1 2,2 1,2 1,3 0,3 0,4")]
    [InlineData(10, "50%", "0", "10,0 10,5 5,5 5,10 0,10")]
    [InlineData(1, "0", "1", "1,0 0,0 0,1")]
    public void RolloutStepsFollowTheRealControllersSequence(int replicas, string maxSurge, string maxUnavailable, string expected)
    {
        var (surge, unavailable) = RollingUpdate.Resolve(Parse(maxSurge), Parse(maxUnavailable), replicas);
        var steps = Rollout(replicas, surge, unavailable, newPodsBecomeAvailable: true);

        Assert.Equal(expected, string.Join(' ', steps.Select(s => $"{s.Old},{s.New}")));
    }

    [Theory]
    [InlineData(1, "25%", "25%")]
    [InlineData(3, "25%", "25%")]
    [InlineData(4, "25%", "25%")]
    [InlineData(10, "25%", "25%")]
    [InlineData(4, "0", "1")]
    [InlineData(10, "50%", "0")]
    [InlineData(7, "2", "3")]
    [InlineData(20, "10%", "30%")]
    public void AvailabilityAndTotalStayWithinTheFencepostsAtEveryStep(int replicas, string maxSurge, string maxUnavailable)
    {
        var (surge, unavailable) = RollingUpdate.Resolve(Parse(maxSurge), Parse(maxUnavailable), replicas);

        foreach (var newPodsBecomeAvailable in new[] { true, false })
        {
            foreach (var step in Rollout(replicas, surge, unavailable, newPodsBecomeAvailable))
            {
                Assert.True(step.Old + step.New <= replicas + surge, $"{step} exceeds {replicas} + {surge}");
                Assert.True(step.Available >= replicas - unavailable, $"{step} drops below {replicas} - {unavailable}");
            }
        }
    }

    [Fact]
    public void ACrashingNewReplicaSetStopsTheRolloutWithOldPodsStillAvailable()
    {
        var steps = Rollout(10, 3, 2, newPodsBecomeAvailable: false);

        Assert.Equal((8, 5), (steps[^1].Old, steps[^1].New));
        Assert.Equal(8, steps[^1].Available);
    }

    [Fact]
    public void UnhealthyOldPodsAreRemovedBeforeHealthyOnes()
    {
        // 10 replicas, 2 unavailable allowed; the old ReplicaSet has 3 pods that never became available.
        var sizes = RollingUpdate.OldReplicaSetSizes(10, 2, new ReplicaSetCount(3, 0), [new ReplicaSetCount(10, 7)]);

        // maxScaledDown = 13 - 8 - 3 = 2: both come out of the unhealthy pods; 7 available stays below the 8 needed.
        Assert.Equal([8], sizes);
    }

    private static IntOrPercent Parse(string text) => IntOrPercent.Parse(JsonValue.Create(text))!.Value;

    private sealed record Step(int Old, int New, int Available);

    /// <summary>
    /// One ReplicaSet (fully available) rolled to a new one, sync by sync, the way rolloutRolling orders the work:
    /// the new ReplicaSet is created at NewRSNewReplicas, then each sync grows it or, failing that, shrinks the old one.
    /// </summary>
    private static List<Step> Rollout(int replicas, int surge, int unavailable, bool newPodsBecomeAvailable)
    {
        var old = new ReplicaSetCount(replicas, replicas);
        var created = new ReplicaSetCount(RollingUpdate.NewReplicaSetSize(replicas, surge, replicas, 0), 0);
        var steps = new List<Step> { new(old.Replicas, 0, old.Available) };

        for (var sync = 0; sync < 100; sync++)
        {
            var before = (old, created);
            var grown = RollingUpdate.NewReplicaSetSize(replicas, surge, old.Replicas + created.Replicas, created.Replicas);
            // Creating the new ReplicaSet is not a "scale up", so the first sync goes on to the old ones.
            if (grown != created.Replicas && sync > 0)
            {
                created = created with { Replicas = grown };
            }
            else
            {
                var shrunk = RollingUpdate.OldReplicaSetSizes(replicas, unavailable, created, [old])[0];
                old = new ReplicaSetCount(shrunk, Math.Min(old.Available, shrunk));
            }
            if ((old, created) == before && sync > 0)
            {
                break;
            }

            steps.Add(new Step(old.Replicas, created.Replicas, old.Available + created.Available));
            // Between syncs the pods catch up: new ones become available (unless they crash).
            if (newPodsBecomeAvailable)
            {
                created = created with { Available = created.Replicas };
            }
        }
        return steps;
    }
}
