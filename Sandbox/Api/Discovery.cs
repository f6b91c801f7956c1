using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Api;

/// <summary>
/// The discovery documents (<c>/version</c>, <c>/api</c>, <c>/apis</c>, <c>/api/v1</c>, <c>/apis/{group}/{version}</c>) in the
/// legacy (unaggregated) format. kubectl 1.32 asks for aggregated discovery first and falls back to this format when the
/// response's Content-Type is plain application/json.
/// </summary>
internal static class Discovery
{
    private static readonly Dictionary<ResourceType, string[]> ShortNames = new()
    {
        [ResourceTypes.Namespaces] = ["ns"], [ResourceTypes.Nodes] = ["no"], [ResourceTypes.Pods] = ["po"],
        [ResourceTypes.Services] = ["svc"], [ResourceTypes.ConfigMaps] = ["cm"], [ResourceTypes.Events] = ["ev"],
        [ResourceTypes.Deployments] = ["deploy"], [ResourceTypes.ReplicaSets] = ["rs"], [ResourceTypes.HorizontalPodAutoscalers] = ["hpa"],
        [ResourceTypes.Endpoints] = ["ep"], [ResourceTypes.ServiceAccounts] = ["sa"], [ResourceTypes.PersistentVolumeClaims] = ["pvc"], [ResourceTypes.PersistentVolumes] = ["pv"],
        [ResourceTypes.ResourceQuotas] = ["quota"], [ResourceTypes.StorageClasses] = ["sc"], [ResourceTypes.Ingresses] = ["ing"],
        [ResourceTypes.PodDisruptionBudgets] = ["pdb"],
    };

    private static readonly HashSet<ResourceType> InCategoryAll =
        [ResourceTypes.Pods, ResourceTypes.Services, ResourceTypes.Deployments, ResourceTypes.ReplicaSets, ResourceTypes.HorizontalPodAutoscalers];

    private static readonly string[] AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = "v1.32.0-sandbox",
        ["gitCommit"] = "sandbox",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2025-01-01T00:00:00Z",
        ["goVersion"] = "go1.23.4",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject Groups() => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray([.. GroupVersions().Where(g => g.Group.Length > 0).Select(g => (JsonNode)Group(g.Group, g.Version))]),
    };

    public static JsonObject? Group(string group)
    {
        var version = GroupVersions().FirstOrDefault(g => g.Group == group).Version;
        return version is null ? null : Group(group, version);
    }

    public static JsonObject? Resources(string group, string version)
    {
        var types = ResourceTypes.All.Where(t => t.Group == group && t.Version == version).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var resources = new JsonArray();
        foreach (var type in types)
        {
            var resource = new JsonObject
            {
                ["name"] = type.Plural,
                ["singularName"] = type.Singular,
                ["namespaced"] = type.Namespaced,
                ["kind"] = type.Kind,
                ["verbs"] = new JsonArray([.. AllVerbs.Select(v => (JsonNode)v)]),
            };
            if (ShortNames.TryGetValue(type, out var shortNames))
            {
                resource["shortNames"] = new JsonArray([.. shortNames.Select(s => (JsonNode)s)]);
            }

            if (InCategoryAll.Contains(type))
            {
                resource["categories"] = new JsonArray("all");
            }

            resource["storageVersionHash"] = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(type.ToString())))[..11];
            resources.Add(resource);
            if (ResourceTypes.HasStatus(type))
            {
                resources.Add(new JsonObject
                {
                    ["name"] = $"{type.Plural}/status", ["singularName"] = "", ["namespaced"] = type.Namespaced, ["kind"] = type.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
            if (type == ResourceTypes.Pods)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = "pods/log", ["singularName"] = "", ["namespaced"] = true, ["kind"] = "Pod", ["verbs"] = new JsonArray("get"),
                });
            }

            if (type == ResourceTypes.Deployments || type == ResourceTypes.ReplicaSets)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = $"{type.Plural}/scale", ["singularName"] = "", ["namespaced"] = true, ["group"] = "autoscaling", ["version"] = "v1",
                    ["kind"] = "Scale", ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    private static IEnumerable<(string Group, string Version)> GroupVersions() =>
        ResourceTypes.All.Select(t => (t.Group, t.Version)).Distinct();

    private static JsonObject Group(string group, string version)
    {
        var groupVersion = new JsonObject { ["groupVersion"] = $"{group}/{version}", ["version"] = version };
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray(groupVersion),
            ["preferredVersion"] = groupVersion.DeepClone(),
        };
    }
}
