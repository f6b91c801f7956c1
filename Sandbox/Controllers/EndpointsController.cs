using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Controllers;

/// <summary>
/// The endpoints controller: for each Service with a selector, an Endpoints object of the same name listing the IPs of
/// the matching pods (ready ones under <c>addresses</c>, the others under <c>notReadyAddresses</c>) with the Service's
/// ports resolved to container ports. A Service without a selector keeps the Endpoints its owner writes.
/// </summary>
internal sealed class EndpointsController(ClusterStore store)
{
    public static string Manager => ControllerManager.Manager;

    public void Sync(string ns, string name)
    {
        var service = store.Get(ResourceTypes.Services, ns, name);
        var existing = store.Get(ResourceTypes.Endpoints, ns, name);
        if (service is null)
        {
            if (existing is not null && existing.Labels().GetValueOrDefault(ManagedBy) == Controller)
            {
                try { store.Delete(ResourceTypes.Endpoints, ns, name); }
                catch (StoreException e) when (e.Code == 404) { /* already gone */ }
            }
            return;
        }

        if (service.At("spec", "selector") is not JsonObject { Count: > 0 } selectorMap)
        {
            return;
        }

        var selector = LabelSelector.From(new JsonObject { ["matchLabels"] = selectorMap.DeepClone() });
        var pods = store.List(ResourceTypes.Pods, ns)
            .Where(p => ReplicaSetController.IsActive(p) && !string.IsNullOrEmpty(p.Text("status", "podIP")) && selector.Matches(p.Labels()))
            .OrderBy(p => p.Text("status", "podIP"), StringComparer.Ordinal)
            .ToList();
        var subsets = new JsonArray();
        if (pods.Count > 0)
        {
            // One subset per distinct resolution of the ports, as the real controller groups them.
            foreach (var group in pods.GroupBy(p => Ports(service, p).ToJsonString()))
            {
                var ready = new JsonArray();
                var notReady = new JsonArray();
                foreach (var pod in group)
                {
                    (ReplicaSetController.IsReady(pod) ? ready : notReady).Add(Address(pod));
                }

                var subset = new JsonObject();
                if (ready.Count > 0)
                {
                    subset["addresses"] = ready;
                }

                if (notReady.Count > 0)
                {
                    subset["notReadyAddresses"] = notReady;
                }

                subset["ports"] = Ports(service, group.First());
                subsets.Add(subset);
            }
        }

        var endpoints = existing?.DeepClone().AsObject() ?? new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        };
        var metadata = endpoints["metadata"]!.AsObject();
        var labels = service.At("metadata", "labels")?.DeepClone() as JsonObject ?? new JsonObject();
        labels[ManagedBy] = Controller;
        metadata["labels"] = labels;
        if (subsets.Count > 0)
        {
            endpoints["subsets"] = subsets;
        }
        else
        {
            endpoints.Remove("subsets");
        }

        if (existing is not null && JsonNode.DeepEquals(existing["subsets"], endpoints["subsets"]) && JsonNode.DeepEquals(existing.At("metadata", "labels"), labels))
        {
            return;
        }

        if (existing is null)
        {
            store.Create(ResourceTypes.Endpoints, endpoints, manager: Manager);
        }
        else
        {
            store.Update(ResourceTypes.Endpoints, endpoints, Manager);
        }
    }

    // The label the real controller puts on the Endpoints it maintains; one without it belongs to someone else.
    private const string ManagedBy = "endpoints.kubernetes.io/managed-by";
    private const string Controller = "endpoint-controller";

    private static JsonObject Address(JsonObject pod) => new()
    {
        ["ip"] = pod.Text("status", "podIP"),
        ["nodeName"] = pod.Text("spec", "nodeName"),
        ["targetRef"] = new JsonObject
        {
            ["kind"] = "Pod", ["namespace"] = pod.Namespace(), ["name"] = pod.Name(), ["uid"] = pod.Uid(),
        },
    };

    private static JsonArray Ports(JsonObject service, JsonObject pod)
    {
        var ports = new JsonArray();
        foreach (var port in service.Objects("spec", "ports"))
        {
            var target = port["targetPort"] ?? port["port"];
            long? number = target is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;
            if (number is null && target?.Text() is { } portName)
            {
                number = pod.Objects("spec", "containers").SelectMany(c => c.Objects("ports"))
                    .FirstOrDefault(p => p.Text("name") == portName)?.Number("containerPort");
            }

            if (number is null)
            {
                continue;
            }

            var entry = new JsonObject();
            if (port.Text("name") is { Length: > 0 } name)
            {
                entry["name"] = name;
            }

            entry["port"] = number;
            entry["protocol"] = port.Text("protocol") ?? "TCP";
            ports.Add(entry);
        }
        return ports;
    }
}
