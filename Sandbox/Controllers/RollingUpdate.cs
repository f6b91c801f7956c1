using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox.Controllers;

/// <summary>An IntOrString as maxSurge and maxUnavailable spell it: 2, "2" or "25%".</summary>
internal readonly record struct IntOrPercent(int Value, bool IsPercent)
{
    public static readonly IntOrPercent TwentyFivePercent = new(25, true);

    public static IntOrPercent? Parse(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.GetValueKind() == JsonValueKind.Number)
        {
            return node.Int() is { } n ? new IntOrPercent(n, false) : null;
        }

        if (value.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        var text = value.GetValue<string>().Trim();
        if (text.EndsWith('%'))
        {
            return int.TryParse(text[..^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? new IntOrPercent(p, true) : null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? new IntOrPercent(i, false) : null;
    }

    /// <summary>The absolute value against <paramref name="total"/>, like intstr.GetScaledValueFromIntOrPercent.</summary>
    public int Scaled(int total, bool roundUp)
    {
        if (!IsPercent)
        {
            return Value;
        }

        var product = (long)Value * total;
        return (int)(roundUp ? (product + 99) / 100 : product / 100);
    }

    public override string ToString() => IsPercent ? $"{Value}%" : Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The arithmetic of a RollingUpdate, following the Deployment controller (deployment_util.go and rolling.go):
/// maxSurge rounds up, maxUnavailable rounds down, and when both come out as zero one pod may be unavailable.
/// </summary>
internal static class RollingUpdate
{
    /// <summary>ResolveFenceposts, with maxUnavailable capped at the replica count as MaxUnavailable does.</summary>
    public static (int MaxSurge, int MaxUnavailable) Resolve(IntOrPercent maxSurge, IntOrPercent maxUnavailable, int replicas)
    {
        var surge = maxSurge.Scaled(replicas, roundUp: true);
        var unavailable = maxUnavailable.Scaled(replicas, roundUp: false);
        // Rounding down can turn a valid percentage into zero; one unavailable pod keeps the rollout moving.
        if (surge == 0 && unavailable == 0)
        {
            unavailable = 1;
        }

        return (surge, replicas == 0 ? 0 : Math.Min(unavailable, replicas));
    }

    /// <summary>The API server's validation of the two fenceposts; null when valid.</summary>
    public static string? Validate(IntOrPercent maxSurge, IntOrPercent maxUnavailable)
    {
        if (maxSurge.Value < 0)
        {
            return "spec.strategy.rollingUpdate.maxSurge: Invalid value: must be greater than or equal to 0";
        }

        if (maxUnavailable.Value < 0)
        {
            return "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: must be greater than or equal to 0";
        }

        if (maxUnavailable.IsPercent && maxUnavailable.Value > 100)
        {
            return "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: must not be greater than 100%";
        }

        if (maxSurge.Value == 0 && maxUnavailable.Value == 0)
        {
            return "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0";
        }

        return null;
    }

    /// <summary>NewRSNewReplicas for a RollingUpdate: grow the new ReplicaSet as far as the surge allows.</summary>
    public static int NewReplicaSetSize(int replicas, int maxSurge, int allPods, int newReplicaSetSize)
    {
        var maxTotalPods = replicas + maxSurge;
        if (allPods >= maxTotalPods)
        {
            return newReplicaSetSize;
        }

        var scaleUp = Math.Min(maxTotalPods - allPods, replicas - newReplicaSetSize);
        return newReplicaSetSize + Math.Max(0, scaleUp);
    }

    /// <summary>
    /// reconcileOldReplicaSets: first removes unhealthy old pods (they cost no availability), then scales old ReplicaSets
    /// down, oldest first, only as far as the available pods stay at or above replicas - maxUnavailable.
    /// <paramref name="oldReplicaSets"/> must be ordered oldest first; the result holds their new sizes in that order.
    /// </summary>
    public static int[] OldReplicaSetSizes(int replicas, int maxUnavailable, ReplicaSetCount newReplicaSet, IReadOnlyList<ReplicaSetCount> oldReplicaSets)
    {
        var sizes = oldReplicaSets.Select(r => r.Replicas).ToArray();
        var oldPods = sizes.Sum();
        if (oldPods == 0)
        {
            return sizes;
        }

        var allPods = oldPods + newReplicaSet.Replicas;
        var minAvailable = replicas - maxUnavailable;
        // Unavailable new pods count against the budget too, so a crash-looping new ReplicaSet cannot eat the old pods.
        var newUnavailable = newReplicaSet.Replicas - newReplicaSet.Available;
        var maxScaledDown = allPods - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
        {
            return sizes;
        }

        var cleanedUp = 0;
        for (var i = 0; i < sizes.Length && cleanedUp < maxScaledDown; i++)
        {
            var unhealthy = sizes[i] - oldReplicaSets[i].Available;
            if (sizes[i] == 0 || unhealthy <= 0)
            {
                continue;
            }

            var remove = Math.Min(maxScaledDown - cleanedUp, unhealthy);
            sizes[i] -= remove;
            cleanedUp += remove;
        }

        var available = newReplicaSet.Available + oldReplicaSets.Sum(r => r.Available);
        if (available <= minAvailable)
        {
            return sizes;
        }

        var toScaleDown = available - minAvailable;
        var scaledDown = 0;
        for (var i = 0; i < sizes.Length && scaledDown < toScaleDown; i++)
        {
            if (sizes[i] == 0)
            {
                continue;
            }

            var remove = Math.Min(sizes[i], toScaleDown - scaledDown);
            sizes[i] -= remove;
            scaledDown += remove;
        }
        return sizes;
    }
}

/// <summary>A ReplicaSet's size and how many of its pods are available.</summary>
internal readonly record struct ReplicaSetCount(int Replicas, int Available);
