using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Sandbox.Controllers;
using Sandbox.Store;

namespace Sandbox.Tests.Controllers;

/// <summary>
/// A store and its controllers on a fake clock. <see cref="AdvanceUntil"/> moves the clock in steps, letting the
/// controllers work through every consequence of each step before looking at the condition, so a rollout that takes
/// minutes of cluster time takes milliseconds and always plays out the same way.
/// </summary>
internal sealed class SimulatedCluster : IDisposable
{
    public const string Namespace = "default";

    public SimulatedCluster(SimulationOptions? options = null)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
        Store = new ClusterStore(Time);
        Controllers = new ControllerManager(Store, options ?? new SimulationOptions());
        Controllers.Start();
    }

    public FakeTimeProvider Time { get; }
    public ClusterStore Store { get; }
    public ControllerManager Controllers { get; }

    /// <summary>Advances the clock by <paramref name="step"/> (default 1 s) until <paramref name="condition"/> holds.</summary>
    public async Task<TimeSpan> AdvanceUntil(Func<bool> condition, TimeSpan max, TimeSpan? step = null, string? what = null)
    {
        var start = Time.GetUtcNow();
        while (true)
        {
            await Settle();
            if (condition())
            {
                return Time.GetUtcNow() - start;
            }

            if (Time.GetUtcNow() - start >= max)
            {
                throw new TimeoutException($"{what ?? "condition"} did not hold within {max} of cluster time");
            }

            Time.Advance(step ?? TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Waits until the controllers have nothing left to do at the current time.</summary>
    public Task Settle() => Controllers.WhenIdle().WaitAsync(TimeSpan.FromSeconds(30));

    public JsonObject Deployment(string name) => Store.Get(ResourceTypes.Deployments, Namespace, name) ?? throw new InvalidOperationException($"no deployment {name}");

    public List<JsonObject> ReplicaSetsOf(string deployment) =>
        Store.List(ResourceTypes.ReplicaSets, Namespace).Where(rs => (string?)rs["metadata"]?["ownerReferences"]?[0]?["name"] == deployment).ToList();

    public List<JsonObject> PodsOf(string deployment) =>
        Store.List(ResourceTypes.Pods, Namespace).Where(p => ((string?)p["metadata"]?["name"] ?? "").StartsWith(deployment + "-", StringComparison.Ordinal)).ToList();

    public List<JsonObject> Events(string? reason = null) =>
        Store.List(ResourceTypes.Events, null).Where(e => reason is null || (string?)e["reason"] == reason).ToList();

    public void UpdateDeployment(string name, Action<JsonObject> change) =>
        Store.Change(ResourceTypes.Deployments, Namespace, name, d =>
        {
            change(d!);
            return d;
        });

    /// <summary>What <c>kubectl rollout status</c> waits for: observed, updated, and all available, with no old pods.</summary>
    public bool RolledOut(string name)
    {
        var d = Deployment(name);
        var replicas = (int?)d["spec"]?["replicas"] ?? 1;
        var status = d["status"];
        return (long?)status?["observedGeneration"] >= (long?)d["metadata"]?["generation"]
            && ((int?)status?["updatedReplicas"] ?? 0) == replicas
            && ((int?)status?["replicas"] ?? 0) == replicas
            && ((int?)status?["availableReplicas"] ?? 0) == replicas;
    }

    public static JsonObject? Condition(JsonObject obj, string type) =>
        (obj["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);

    public static JsonObject NewDeployment(string name, string image, int? replicas = 3, string? cpu = null)
    {
        var container = new JsonObject { ["name"] = "app", ["image"] = image };
        if (cpu is not null)
        {
            container["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = cpu, ["memory"] = "64Mi" } };
        }

        var spec = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(container) },
            },
        };
        if (replicas is not null)
        {
            spec["replicas"] = replicas;
        }

        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Namespace },
            ["spec"] = spec,
        };
    }

    public static void SetImage(JsonObject deployment, string image) =>
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = image;

    public void Dispose()
    {
        Controllers.Dispose();
        Store.Dispose();
    }
}
