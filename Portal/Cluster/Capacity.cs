using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Portal.Cluster;

/// <summary>What an environment does when a request's pods would not fit its namespace's quota or its nodes.</summary>
public enum CapacityCheckMode
{
    Off,
    Warn,
    Block,
}

/// <param name="Problems">Each quota or node limit the pods would exceed, with the numbers.</param>
/// <param name="Need">What was asked for, in words: "3 pods (2 replicas + 1 surge) × 500m CPU, 256Mi memory".</param>
/// <param name="Note">Why part of the check could not be made, or null.</param>
public sealed record CapacityReport(string Need, IReadOnlyList<string> Problems, string? Note = null)
{
    public bool Fits => Problems.Count == 0;
}

/// <summary>
/// Whether a request's pods fit: requests × replicas (the HPA maximum when autoscaling) plus the rolling update's surge,
/// against each ResourceQuota of the namespace (hard − used, giving back what the service's running pods already use)
/// and against the schedulable nodes' allocatable less what the other pods on them request.
/// </summary>
public sealed class CapacityCheck(ClusterConnections connections)
{
    private static readonly (string Resource, string Alias, Func<Pod, decimal> Amount)[] QuotaResources =
    [
        ("requests.cpu", "cpu", p => p.CpuRequest),
        ("requests.memory", "memory", p => p.MemoryRequest),
        ("limits.cpu", "", p => p.CpuLimit),
        ("limits.memory", "", p => p.MemoryLimit),
        ("pods", "", _ => 1),
    ];

    public async Task<CapacityReport> CheckAsync(string cluster, Manifests manifests, CancellationToken cancellationToken = default)
    {
        var client = await connections.ConnectAsync(cluster);
        var deployment = manifests.Deployment;
        var ns = deployment.Metadata.NamespaceProperty;
        var service = deployment.Metadata.Name;
        var pod = Pod.Of(deployment.Spec.Template.Spec);
        var replicas = manifests.Autoscaler?.Spec.MaxReplicas ?? deployment.Spec.Replicas ?? 1;
        var surge = Surge(deployment.Spec.Strategy, replicas);
        var pods = replicas + surge;
        var need = $"{pods} pods ({replicas} {(manifests.Autoscaler is null ? "replicas" : "replicas at the autoscaling maximum")} + {surge} surge) × {Cpu(pod.CpuRequest)} CPU, {Memory(pod.MemoryRequest)} memory requested";
        var problems = new List<string>();

        // The four lists at once.
        var ownPodsList = ListAsync(() => client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"{ManifestBuilder.NameLabel}={service}", cancellationToken: cancellationToken));
        var quotasList = ListAsync(() => client.CoreV1.ListNamespacedResourceQuotaAsync(ns, cancellationToken: cancellationToken));
        var nodesList = ListAsync(() => client.CoreV1.ListNodeAsync(cancellationToken: cancellationToken));
        var allPodsList = ListAsync(() => client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: cancellationToken));
        await Task.WhenAll(new Task[] { ownPodsList, quotasList, nodesList, allPodsList }).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var ownPods = await ownPodsList;
        var running = (ownPods?.Items ?? []).Where(Active).Select(p => Pod.Of(p.Spec)).ToList();
        var quotas = await quotasList;
        foreach (var quota in quotas?.Items ?? [])
        {
            foreach (var (resource, alias, amount) in QuotaResources)
            {
                var key = quota.Spec?.Hard?.ContainsKey(resource) == true ? resource : alias.Length > 0 && quota.Spec?.Hard?.ContainsKey(alias) == true ? alias : null;
                if (key is null)
                {
                    continue;
                }

                var hard = Parse(quota.Spec!.Hard[key]);
                var used = quota.Status?.Used?.TryGetValue(key, out var u) == true ? Parse(u) : 0;
                var ours = running.Sum(amount);
                var free = hard - used + ours;
                var wanted = amount(pod) * pods;
                if (wanted > free)
                {
                    var show = resource.EndsWith("cpu", StringComparison.Ordinal) ? (Func<decimal, string>)Cpu : resource.EndsWith("memory", StringComparison.Ordinal) ? Memory : Count;
                    problems.Add($"ResourceQuota {quota.Metadata.Name}: {key} needs {show(wanted)} for {pods} pods, but only {show(free)} is free (hard {show(hard)}, used {show(used)}, of which {show(ours)} by the running pods of {service}).");
                }
            }
        }

        string? note = null;
        var nodes = await nodesList;
        var allPods = await allPodsList;
        if (nodes is null || allPods is null)
        {
            note = "The nodes' capacity could not be read (not allowed): only the quota was checked.";
        }
        else
        {
            var schedulable = nodes.Items.Where(n => n.Spec?.Unschedulable != true).ToList();
            var names = schedulable.Select(n => n.Metadata.Name).ToHashSet(StringComparer.Ordinal);
            var others = allPods.Items.Where(p => Active(p) && p.Spec?.NodeName is { } node && names.Contains(node)
                && !(p.Metadata.NamespaceProperty == ns && p.Metadata.Labels?.TryGetValue(ManifestBuilder.NameLabel, out var name) == true && name == service))
                .Select(p => (Node: p.Spec.NodeName, Pod: Pod.Of(p.Spec))).ToList();
            foreach (var (label, resource, amount, show) in new (string, string, Func<Pod, decimal>, Func<decimal, string>)[]
            {
                ("CPU", "cpu", p => p.CpuRequest, Cpu),
                ("memory", "memory", p => p.MemoryRequest, Memory),
            })
            {
                var allocatable = schedulable.Sum(n => Allocatable(n, resource));
                var requested = others.Sum(o => amount(o.Pod));
                var wanted = amount(pod) * pods;
                if (wanted > allocatable - requested)
                {
                    problems.Add($"Nodes: {pods} pods need {show(wanted)} {label}, but the {schedulable.Count} schedulable nodes have {show(allocatable - requested)} free ({show(allocatable)} allocatable, {show(requested)} requested by other pods).");
                }

                var largest = schedulable.Count == 0 ? 0 : schedulable.Max(n => Allocatable(n, resource) - others.Where(o => o.Node == n.Metadata.Name).Sum(o => amount(o.Pod)));
                if (amount(pod) > largest)
                {
                    problems.Add($"Nodes: one pod requests {show(amount(pod))} {label}, but no node has that much free (the most is {show(largest)}).");
                }
            }
        }

        return new CapacityReport(need, problems, note);
    }

    /// <summary>The rolling update's extra pods: maxSurge as a number, or a percent of the replicas rounded up (Kubernetes' default 25%).</summary>
    public static int Surge(V1DeploymentStrategy? strategy, int replicas)
    {
        if (strategy?.Type == "Recreate")
        {
            return 0;
        }

        var value = strategy?.RollingUpdate?.MaxSurge?.Value ?? "25%";
        if (value.EndsWith('%') && int.TryParse(value[..^1], CultureInfo.InvariantCulture, out var percent))
        {
            return (int)Math.Ceiling(replicas * percent / 100m);
        }

        return int.TryParse(value, CultureInfo.InvariantCulture, out var count) ? count : 0;
    }

    private static bool Active(V1Pod pod) => pod.Status?.Phase is not ("Succeeded" or "Failed");

    private static decimal Allocatable(V1Node node, string resource) =>
        node.Status?.Allocatable?.TryGetValue(resource, out var value) == true ? Parse(value) : 0;

    private static async Task<T?> ListAsync<T>(Func<Task<T>> list)
        where T : class
    {
        try
        {
            return await list();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static decimal Parse(ResourceQuantity? quantity) => Quantity.TryParse(quantity?.ToString(), out var value) ? value : 0;

    public static string Cpu(decimal cores) =>
        cores == Math.Floor(cores) ? cores.ToString("0", CultureInfo.InvariantCulture) : $"{(cores * 1000).ToString("0.##", CultureInfo.InvariantCulture)}m";

    public static string Memory(decimal bytes)
    {
        const decimal mi = 1024m * 1024;
        return bytes >= 1024 * mi && bytes % (1024 * mi) == 0
            ? $"{(bytes / (1024 * mi)).ToString("0", CultureInfo.InvariantCulture)}Gi"
            : $"{(bytes / mi).ToString("0.##", CultureInfo.InvariantCulture)}Mi";
    }

    private static string Count(decimal count) => count.ToString("0", CultureInfo.InvariantCulture);

    /// <summary>One pod's requests and limits: the sum over its containers.</summary>
    private sealed record Pod(decimal CpuRequest, decimal MemoryRequest, decimal CpuLimit, decimal MemoryLimit)
    {
        public static Pod Of(V1PodSpec? spec)
        {
            var containers = spec?.Containers ?? [];
            decimal Sum(Func<V1ResourceRequirements, IDictionary<string, ResourceQuantity>?> part, string resource) =>
                containers.Sum(c => c.Resources is { } r && part(r)?.TryGetValue(resource, out var q) == true ? Parse(q) : 0);
            return new Pod(Sum(r => r.Requests, "cpu"), Sum(r => r.Requests, "memory"), Sum(r => r.Limits, "cpu"), Sum(r => r.Limits, "memory"));
        }
    }
}
