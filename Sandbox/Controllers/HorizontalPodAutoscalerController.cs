using System.Globalization;
using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Controllers;

/// <summary>
/// The HorizontalPodAutoscaler controller (autoscaling/v2) for Deployments, with a simulated CPU utilization per
/// Deployment (<see cref="SimulationOptions.CpuUtilizationAnnotation"/>): the real replica formula and tolerance,
/// stabilization windows and scaling policies (the real defaults unless spec.behavior says otherwise), status and
/// conditions as the real controller writes them, and the Deployment's spec.replicas changed as <c>/scale</c> would.
/// </summary>
internal sealed class HorizontalPodAutoscalerController(ClusterStore store, EventRecorder events, SimulationOptions options)
{
    public const string Component = "horizontal-pod-autoscaler";
    private const int DefaultTargetUtilization = 80;

    private readonly Dictionary<string, List<(int Replicas, DateTimeOffset At)>> recommendations = new(StringComparer.Ordinal);

    public TimeSpan? Sync(string ns, string name)
    {
        var hpa = store.Get(ResourceTypes.HorizontalPodAutoscalers, ns, name);
        var key = ObjectFields.Key(ns, name);
        if (hpa is null)
        {
            this.recommendations.Remove(key);
            return null;
        }
        var now = store.Time.GetUtcNow();
        var previousStatus = hpa["status"] as JsonObject ?? new JsonObject();
        var status = previousStatus.DeepClone().AsObject();
        var minReplicas = hpa.Int("spec", "minReplicas") ?? 1;
        var maxReplicas = hpa.Int("spec", "maxReplicas") ?? Math.Max(1, minReplicas);
        var targetKind = hpa.Text("spec", "scaleTargetRef", "kind");
        var targetName = hpa.Text("spec", "scaleTargetRef", "name") ?? "";

        var deployment = targetKind == "Deployment" ? store.Get(ResourceTypes.Deployments, ns, targetName) : null;
        if (deployment is null)
        {
            var message = targetKind == "Deployment"
                ? $"the HPA controller was unable to get the target's current scale: deployments.apps \"{targetName}\" not found"
                : $"the HPA controller was unable to get the target's current scale: no scale for {targetKind} (the Sandbox scales Deployments)";
            SetCondition(status, "AbleToScale", "False", "FailedGetScale", message, now);
            events.Warning(hpa, "FailedGetScale", message, Component);
            Write(hpa, status, previousStatus);
            return options.AutoscalerSyncPeriod;
        }

        var currentReplicas = deployment.Int("spec", "replicas") ?? 1;
        RecordInitialRecommendation(key, currentReplicas, hpa, now);
        int desiredReplicas;
        string rescaleReason = "";
        if (currentReplicas == 0 && minReplicas != 0)
        {
            desiredReplicas = 0;
            SetCondition(status, "ScalingActive", "False", "ScalingDisabled", "scaling is disabled since the replica count of the target is zero", now);
        }
        else if (currentReplicas > maxReplicas)
        {
            rescaleReason = "Current number of replicas above Spec.MaxReplicas";
            desiredReplicas = maxReplicas;
        }
        else if (currentReplicas < minReplicas)
        {
            rescaleReason = "Current number of replicas below Spec.MinReplicas";
            desiredReplicas = minReplicas;
        }
        else
        {
            var target = TargetUtilization(hpa);
            var utilization = Utilization(deployment);
            var proposal = Autoscaling.DesiredReplicas(currentReplicas, utilization, target, options.AutoscalerTolerance);
            status["currentMetrics"] = CurrentMetrics(deployment, utilization);
            SetCondition(status, "ScalingActive", "True", "ValidMetricFound",
                "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)", now);
            rescaleReason = proposal > currentReplicas ? "cpu resource utilization (percentage of request) above target" : "All metrics below target";
            desiredReplicas = NormalizeDesiredReplicas(hpa, key, status, currentReplicas, proposal, minReplicas, maxReplicas, now);
        }

        if (desiredReplicas != currentReplicas)
        {
            store.Change(ResourceTypes.Deployments, ns, targetName, current =>
            {
                if (current is null)
                {
                    return null;
                }

                current.Ensure("spec")["replicas"] = desiredReplicas;
                return current;
            }, manager: ControllerManager.Manager);
            events.Normal(hpa, "SuccessfulRescale", $"New size: {desiredReplicas}; reason: {rescaleReason}", Component);
            SetCondition(status, "AbleToScale", "True", "SucceededRescale", $"the HPA controller was able to update the target scale to {desiredReplicas}", now);
            status["lastScaleTime"] = ObjectFields.Timestamp(now);
        }

        status["observedGeneration"] = hpa.Generation();
        status["currentReplicas"] = currentReplicas;
        status["desiredReplicas"] = desiredReplicas;
        Write(hpa, status, previousStatus);
        return options.AutoscalerSyncPeriod;
    }

    public void Forget(string ns, string name) => this.recommendations.Remove(ObjectFields.Key(ns, name));

    private void Write(JsonObject hpa, JsonObject status, JsonObject previousStatus)
    {
        if (JsonNode.DeepEquals(status, previousStatus))
        {
            return;
        }

        hpa["status"] = status;
        store.UpdateStatus(ResourceTypes.HorizontalPodAutoscalers, hpa, ControllerManager.Manager);
    }

    private static int TargetUtilization(JsonObject hpa)
    {
        var cpu = hpa.Objects("spec", "metrics").FirstOrDefault(m => m.Text("type") == "Resource" && m.Text("resource", "name") == "cpu");
        return cpu?.Int("resource", "target", "averageUtilization") is { } target && target > 0 ? target : DefaultTargetUtilization;
    }

    private int Utilization(JsonObject deployment) =>
        int.TryParse(deployment.Annotation(SimulationOptions.CpuUtilizationAnnotation), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : options.DefaultCpuUtilization;

    private static JsonArray CurrentMetrics(JsonObject deployment, int utilization)
    {
        var current = new JsonObject { ["averageUtilization"] = utilization };
        var request = PodResources.TemplateCpuRequest(deployment.At("spec", "template"));
        if (request > 0)
        {
            current["averageValue"] = $"{request * utilization / 100}m";
        }

        return new JsonArray(new JsonObject
        {
            ["type"] = "Resource",
            ["resource"] = new JsonObject { ["name"] = "cpu", ["current"] = current },
        });
    }

    // A new HPA starts its scale-down window with the current size, so it does not scale down in its first minutes.
    private void RecordInitialRecommendation(string key, int currentReplicas, JsonObject hpa, DateTimeOffset now)
    {
        if (this.recommendations.ContainsKey(key))
        {
            return;
        }

        this.recommendations[key] = Behaviour(hpa, "scaleDown").StabilizationWindow > TimeSpan.Zero ? [(currentReplicas, now)] : [];
    }

    /// <summary>normalizeDesiredReplicasWithBehaviors: stabilize, then limit the rate, then clamp to min and max.</summary>
    private int NormalizeDesiredReplicas(JsonObject hpa, string key, JsonObject status, int current, int proposal, int min, int max, DateTimeOffset now)
    {
        var up = Behaviour(hpa, "scaleUp");
        var down = Behaviour(hpa, "scaleDown");

        var upRecommendation = proposal;
        var downRecommendation = proposal;
        var history = this.recommendations[key];
        var upCutoff = now - up.StabilizationWindow;
        var downCutoff = now - down.StabilizationWindow;
        var oldSample = -1;
        for (var i = 0; i < history.Count; i++)
        {
            var (replicas, at) = history[i];
            if (at > upCutoff)
            {
                upRecommendation = Math.Min(upRecommendation, replicas);
            }

            if (at > downCutoff)
            {
                downRecommendation = Math.Max(downRecommendation, replicas);
            }

            if (at < upCutoff && at < downCutoff)
            {
                oldSample = i;
            }
        }
        var stabilized = Math.Min(Math.Max(current, upRecommendation), downRecommendation);
        if (oldSample >= 0)
        {
            history[oldSample] = (proposal, now);
        }
        else
        {
            history.Add((proposal, now));
        }

        if (stabilized != proposal)
        {
            var (reason, message) = proposal >= current
                ? ("ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation")
                : ("ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation");
            SetCondition(status, "AbleToScale", "True", reason, message, now);
        }
        else
        {
            SetCondition(status, "AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size", now);
        }

        var (desired, limitReason, limitMessage) = LimitRate(stabilized, current, min, max, up, down);
        SetCondition(status, "ScalingLimited", desired == stabilized ? "False" : "True", limitReason, limitMessage, now);
        return desired;
    }

    private static (int Desired, string Reason, string Message) LimitRate(int desired, int current, int min, int max, ScalingRules up, ScalingRules down)
    {
        if (desired > current)
        {
            var limit = Math.Max(current, up.Limit(current, scaleUp: true));
            if (max > limit)
            {
                if (desired > limit)
                {
                    return (limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate");
                }
            }
            else if (desired > max)
            {
                return (max, "TooManyReplicas", "the desired replica count is more than the maximum replica count");
            }
        }
        else if (desired < current)
        {
            var limit = Math.Min(current, down.Limit(current, scaleUp: false));
            if (min < limit)
            {
                if (desired < limit)
                {
                    return (limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate");
                }
            }
            else if (desired < min)
            {
                return (min, "TooFewReplicas", "the desired replica count is less than the minimum replica count");
            }
        }
        return (desired, "DesiredWithinRange", "the desired count is within the acceptable range");
    }

    private static ScalingRules Behaviour(JsonObject hpa, string direction)
    {
        var rules = hpa.At("spec", "behavior", direction) as JsonObject;
        var defaultWindow = direction == "scaleDown" ? 300 : 0;
        var window = TimeSpan.FromSeconds(rules?.Int("stabilizationWindowSeconds") ?? defaultWindow);
        var select = rules?.Text("selectPolicy") ?? "Max";
        var policies = rules.Objects("policies").Select(p => (p.Text("type") ?? "Pods", p.Int("value") ?? 0)).ToList();
        if (policies.Count == 0)
        {
            policies = direction == "scaleUp" ? [("Pods", 4), ("Percent", 100)] : [("Percent", 100)];
        }

        return new ScalingRules(window, select, policies);
    }

    /// <summary>
    /// A direction's stabilization window and policies. Each sync is one policy period here (15 s, as the defaults'),
    /// so a policy limits the change from the current size.
    /// </summary>
    private sealed record ScalingRules(TimeSpan StabilizationWindow, string SelectPolicy, List<(string Type, int Value)> Policies)
    {
        public int Limit(int current, bool scaleUp)
        {
            if (SelectPolicy == "Disabled")
            {
                return current;
            }

            var proposals = Policies.Select(p => scaleUp
                ? p.Type == "Percent" ? (int)Math.Ceiling(current * (1 + p.Value / 100.0)) : current + p.Value
                : p.Type == "Percent" ? (int)(current * (1 - p.Value / 100.0)) : current - p.Value).ToList();
            if (proposals.Count == 0)
            {
                return current;
            }
            // "Max" selects the policy allowing the biggest change.
            var biggestChange = SelectPolicy != "Min";
            return scaleUp == biggestChange ? proposals.Max() : proposals.Min();
        }
    }

    /// <summary>setConditionInList: lastTransitionTime moves only when the status does.</summary>
    private static void SetCondition(JsonObject status, string type, string value, string reason, string message, DateTimeOffset now)
    {
        var conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        var condition = status.Condition(type);
        if (condition is null)
        {
            condition = new JsonObject { ["type"] = type };
            conditions.Add(condition);
        }
        if (condition.Text("status") != value)
        {
            condition["lastTransitionTime"] = ObjectFields.Timestamp(now);
        }

        condition["status"] = value;
        condition["reason"] = reason;
        condition["message"] = message;
    }
}

/// <summary>The autoscaler's replica formula.</summary>
internal static class Autoscaling
{
    /// <summary>ceil(current × utilization / target), unless the ratio is within the tolerance of 1.</summary>
    public static int DesiredReplicas(int currentReplicas, double utilization, double targetUtilization, double tolerance)
    {
        if (currentReplicas == 0 || targetUtilization <= 0)
        {
            return currentReplicas;
        }

        var ratio = utilization / targetUtilization;
        if (Math.Abs(1.0 - ratio) <= tolerance)
        {
            return currentReplicas;
        }

        return (int)Math.Ceiling(ratio * currentReplicas);
    }
}
