using System.Text.Json.Nodes;

namespace Sandbox.Controllers;

/// <summary>CPU (millicores), memory (bytes) and a pod count: what the scheduler weighs.</summary>
internal readonly record struct ResourceAmounts(long MilliCpu, long MemoryBytes, int Pods)
{
    public static ResourceAmounts operator +(ResourceAmounts a, ResourceAmounts b) =>
        new(a.MilliCpu + b.MilliCpu, a.MemoryBytes + b.MemoryBytes, a.Pods + b.Pods);
}

internal static class PodResources
{
    /// <summary>
    /// What a pod asks for, as the scheduler computes it: the sum over its containers (a container's request defaults
    /// to its limit, as the API server defaults it), or the largest init container's if that is more.
    /// </summary>
    public static ResourceAmounts Requests(JsonObject pod)
    {
        long cpu = 0, memory = 0;
        foreach (var container in pod.Objects("spec", "containers"))
        {
            cpu += Request(container, "cpu", Quantity.ToMilli);
            memory += Request(container, "memory", Quantity.ToUnits);
        }
        foreach (var init in pod.Objects("spec", "initContainers"))
        {
            cpu = Math.Max(cpu, Request(init, "cpu", Quantity.ToMilli));
            memory = Math.Max(memory, Request(init, "memory", Quantity.ToUnits));
        }
        return new ResourceAmounts(cpu, memory, 1);
    }

    /// <summary>The summed CPU request of a pod template's containers, in millicores (0 when none is set).</summary>
    public static long TemplateCpuRequest(JsonNode? template) =>
        template.Objects("spec", "containers").Sum(c => Request(c, "cpu", Quantity.ToMilli));

    private static long Request(JsonObject container, string resource, Func<string?, long> parse) =>
        parse(container.Text("resources", "requests", resource) ?? container.Text("resources", "limits", resource));

    /// <summary>The pod's QoS class, as the API server reports it in status.qosClass.</summary>
    public static string QosClass(JsonObject pod)
    {
        var containers = pod.Objects("spec", "containers").Concat(pod.Objects("spec", "initContainers")).ToList();
        var anySet = containers.Any(c => c.At("resources", "requests") is JsonObject { Count: > 0 } || c.At("resources", "limits") is JsonObject { Count: > 0 });
        if (!anySet)
        {
            return "BestEffort";
        }

        var guaranteed = containers.All(c =>
            new[] { "cpu", "memory" }.All(r =>
                c.Text("resources", "limits", r) is { } limit
                && (c.Text("resources", "requests", r) is not { } request || Quantity.ToMilli(request) == Quantity.ToMilli(limit))));
        return guaranteed ? "Guaranteed" : "Burstable";
    }
}
