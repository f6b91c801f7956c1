using System.Globalization;
using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Controllers;

/// <summary>
/// ResourceQuota as a real cluster enforces it for what the Sandbox runs: the resource-quota controller's
/// <c>status.used</c> (pods, requests.cpu/memory, limits.cpu/memory, cpu, memory, object counts and requests.storage), and
/// the admission check that refuses a pod with 403 Forbidden when it would take a namespace over a quota, or when
/// a quota tracks a resource the pod does not state.
/// </summary>
internal static class ResourceQuotas
{
    private static readonly string[] PodResourceNames = ["pods", "requests.cpu", "cpu", "requests.memory", "memory", "limits.cpu", "limits.memory"];

    private static readonly Dictionary<string, ResourceType> CountedObjects = new(StringComparer.Ordinal)
    {
        ["services"] = ResourceTypes.Services,
        ["configmaps"] = ResourceTypes.ConfigMaps,
        ["secrets"] = ResourceTypes.Secrets,
        ["persistentvolumeclaims"] = ResourceTypes.PersistentVolumeClaims,
    };

    /// <summary>Recomputes one quota's status from what its namespace holds now.</summary>
    public static void Sync(ClusterStore store, string ns, string name)
    {
        var quota = store.Get(ResourceTypes.ResourceQuotas, ns, name);
        if (quota is null)
        {
            return;
        }

        var hard = quota.At("spec", "hard") as JsonObject ?? new JsonObject();
        var pods = store.List(ResourceTypes.Pods, ns).Where(Counts).ToList();
        var used = new JsonObject();
        foreach (var (resource, _) in hard)
        {
            long? amount = resource switch
            {
                _ when PodResourceNames.Contains(resource) => pods.Sum(p => PodUsage(p, resource)),
                "requests.storage" => store.List(ResourceTypes.PersistentVolumeClaims, ns).Sum(c => Quantity.ToUnits(c.Text("spec", "resources", "requests", "storage"))),
                _ when CountedObjects.TryGetValue(resource, out var type) => store.List(type, ns).Count,
                _ => null,
            };
            if (amount is { } value)
            {
                used[resource] = Format(resource, value);
            }
        }

        var status = new JsonObject { ["hard"] = hard.DeepClone(), ["used"] = used };
        if (JsonNode.DeepEquals(status, quota["status"]))
        {
            return;
        }

        quota["status"] = status;
        store.UpdateStatus(ResourceTypes.ResourceQuotas, quota, ControllerManager.Manager);
    }

    /// <summary>
    /// The ResourceQuota admission plugin for a new pod, given the quotas and pods of its namespace:
    /// throws 403 Forbidden as the API server words it when a quota would be exceeded or cannot be judged.
    /// </summary>
    public static void Admit(JsonObject pod, IEnumerable<JsonObject> quotas, IEnumerable<JsonObject> podsInNamespace)
    {
        var name = pod.Name();
        var others = podsInNamespace.Where(Counts).ToList();
        foreach (var quota in quotas.OrderBy(q => q.Name(), StringComparer.Ordinal))
        {
            var hard = quota.At("spec", "hard") as JsonObject ?? new JsonObject();
            var tracked = hard.Select(p => p.Key).Where(PodResourceNames.Contains).ToList();
            var unstated = tracked.Where(r => r != "pods" && !States(pod, r)).Order(StringComparer.Ordinal).ToList();
            if (unstated.Count > 0)
            {
                throw Forbidden(name, $"failed quota: {quota.Name()}: must specify {string.Join(",", unstated)}");
            }

            var exceeded = new List<(string Resource, long Requested, long Used, long Limit)>();
            foreach (var resource in tracked.Order(StringComparer.Ordinal))
            {
                var requested = PodUsage(pod, resource);
                var used = others.Sum(p => PodUsage(p, resource));
                var limit = Parse(resource, hard[resource]?.Text());
                if (requested > 0 && used + requested > limit)
                {
                    exceeded.Add((resource, requested, used, limit));
                }
            }

            if (exceeded.Count > 0)
            {
                string Join(Func<(string Resource, long Requested, long Used, long Limit), long> pick) =>
                    string.Join(",", exceeded.Select(e => $"{e.Resource}={Format(e.Resource, pick(e))}"));
                throw Forbidden(name, $"exceeded quota: {quota.Name()}, requested: {Join(e => e.Requested)}, used: {Join(e => e.Used)}, limited: {Join(e => e.Limit)}");
            }
        }
    }

    private static StoreException Forbidden(string pod, string why) =>
        new(403, "Forbidden", $"pods \"{pod}\" is forbidden: {why}") { Details = (pod, "", "pods") };

    private static bool Counts(JsonObject pod) => !Scheduler.IsTerminal(pod) && !pod.IsBeingDeleted();

    private static bool States(JsonObject pod, string resource)
    {
        var (section, name) = Split(resource);
        return pod.Objects("spec", "containers").All(c =>
            c.Text("resources", section, name) is not null || (section == "requests" && c.Text("resources", "limits", name) is not null));
    }

    private static long PodUsage(JsonObject pod, string resource)
    {
        if (resource == "pods")
        {
            return 1;
        }

        var (section, name) = Split(resource);
        Func<string?, long> parse = name == "cpu" ? Quantity.ToMilli : Quantity.ToUnits;
        long Of(JsonObject c) => parse(c.Text("resources", section, name) ?? (section == "requests" ? c.Text("resources", "limits", name) : null));
        var sum = pod.Objects("spec", "containers").Sum(Of);
        var init = pod.Objects("spec", "initContainers").Select(Of).DefaultIfEmpty(0).Max();
        return Math.Max(sum, init);
    }

    private static (string Section, string Name) Split(string resource) => resource switch
    {
        "cpu" => ("requests", "cpu"),
        "memory" => ("requests", "memory"),
        _ => (resource[..resource.IndexOf('.')], resource[(resource.IndexOf('.') + 1)..]),
    };

    private static long Parse(string resource, string? text) =>
        resource.EndsWith("cpu", StringComparison.Ordinal) ? Quantity.ToMilli(text) : Quantity.ToUnits(text);

    /// <summary>A quantity in the canonical form Kubernetes prints: 500m, 2, 256Mi, 1Gi.</summary>
    private static string Format(string resource, long value)
    {
        if (resource.EndsWith("cpu", StringComparison.Ordinal))
        {
            return value % 1000 == 0 ? (value / 1000).ToString(CultureInfo.InvariantCulture) : $"{value}m";
        }

        if (resource.EndsWith("memory", StringComparison.Ordinal) || resource.EndsWith("storage", StringComparison.Ordinal))
        {
            foreach (var (suffix, factor) in new[] { ("Ti", 1L << 40), ("Gi", 1L << 30), ("Mi", 1L << 20), ("Ki", 1L << 10) })
            {
                if (value != 0 && value % factor == 0)
                {
                    return $"{value / factor}{suffix}";
                }
            }
        }

        return value.ToString(CultureInfo.InvariantCulture);
    }
}
