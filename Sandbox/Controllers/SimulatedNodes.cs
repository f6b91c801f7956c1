using System.Globalization;
using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Controllers;

/// <summary>The nodes a fresh Sandbox starts with, shaped like kubelet-registered nodes.</summary>
internal static class SimulatedNodes
{
    public const string KubeletVersion = "v1.32.0";

    /// <summary>Creates <see cref="SimulationOptions.NodeCount"/> Ready nodes when the cluster has none.</summary>
    public static void EnsureCreated(ClusterStore store, SimulationOptions options)
    {
        if (store.List(ResourceTypes.Nodes, null).Count > 0)
        {
            return;
        }

        for (var i = 1; i <= options.NodeCount; i++)
        {
            try { store.Create(ResourceTypes.Nodes, Node(options, i, store.Time.GetUtcNow())); }
            catch (StoreException e) when (e.Code == 409) { }
        }
    }

    public static JsonObject Node(SimulationOptions options, int index, DateTimeOffset now)
    {
        var name = options.NodeNamePrefix + index.ToString(CultureInfo.InvariantCulture);
        var stamp = ObjectFields.Timestamp(now);
        JsonObject Resources() => new()
        {
            ["cpu"] = options.NodeCpu,
            ["memory"] = options.NodeMemory,
            ["pods"] = options.NodeMaxPods.ToString(CultureInfo.InvariantCulture),
            ["ephemeral-storage"] = "100Gi",
        };
        JsonObject Condition(string type, string status, string reason, string message) => new()
        {
            ["type"] = type,
            ["status"] = status,
            ["lastHeartbeatTime"] = stamp,
            ["lastTransitionTime"] = stamp,
            ["reason"] = reason,
            ["message"] = message,
        };
        return new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = new JsonObject
                {
                    ["kubernetes.io/hostname"] = name,
                    ["kubernetes.io/os"] = "linux",
                    ["kubernetes.io/arch"] = "amd64",
                    ["beta.kubernetes.io/os"] = "linux",
                    ["beta.kubernetes.io/arch"] = "amd64",
                },
            },
            ["spec"] = new JsonObject { ["podCIDR"] = $"10.244.{index}.0/24", ["podCIDRs"] = new JsonArray($"10.244.{index}.0/24") },
            ["status"] = new JsonObject
            {
                ["capacity"] = Resources(),
                ["allocatable"] = Resources(),
                ["conditions"] = new JsonArray(
                    Condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    Condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    Condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status")),
                ["addresses"] = new JsonArray(
                    new JsonObject { ["type"] = "InternalIP", ["address"] = $"10.0.0.{index + 1}" },
                    new JsonObject { ["type"] = "Hostname", ["address"] = name }),
                ["nodeInfo"] = new JsonObject
                {
                    ["architecture"] = "amd64",
                    ["operatingSystem"] = "linux",
                    ["osImage"] = "Sandbox simulated node",
                    ["kernelVersion"] = "6.1.0",
                    ["containerRuntimeVersion"] = "containerd://1.7.0",
                    ["kubeletVersion"] = KubeletVersion,
                    ["kubeProxyVersion"] = KubeletVersion,
                    ["machineID"] = "",
                    ["systemUUID"] = "",
                    ["bootID"] = "",
                },
            },
        };
    }
}
