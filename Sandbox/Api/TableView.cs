using System.Globalization;
using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Api;

/// <summary>
/// Server-side printing (<c>Accept: application/json;as=Table;g=meta.k8s.io;v=v1</c>): the columns <c>kubectl get</c> shows,
/// computed here as the real API server computes them.
/// </summary>
internal static class TableView
{
    private sealed record Column(string Name, string Type, string Description, int Priority = 0, string Format = "");

    private static readonly Column NameColumn = new("Name", "string", "Name must be unique within a namespace.", Format: "name");
    private static readonly Column AgeColumn = new("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created.");

    public static bool IsRequested(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("as=Table", StringComparison.Ordinal));

    public static JsonObject Build(ResourceType type, IEnumerable<JsonObject> objects, string includeObject, long resourceVersion, DateTimeOffset now, string? @continue = null)
    {
        var columns = ColumnsOf(type);
        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var row = new JsonObject { ["cells"] = new JsonArray([.. CellsOf(type, obj, now)]) };
            switch (includeObject)
            {
                case "None": break;
                case "Object": row["object"] = obj.DeepClone(); break;
                default:
                    row["object"] = new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = obj["metadata"]?.DeepClone(),
                    };
                    break;
            }
            rows.Add(row);
        }
        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) };
        if (@continue is not null)
        {
            metadata["continue"] = @continue;
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = metadata,
            ["columnDefinitions"] = new JsonArray([.. columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name, ["type"] = c.Type, ["format"] = c.Format, ["description"] = c.Description, ["priority"] = c.Priority,
            })]),
            ["rows"] = rows,
        };
    }

    private static IReadOnlyList<Column> ColumnsOf(ResourceType type)
    {
        if (type == ResourceTypes.Deployments)
        {
            return [NameColumn, new("Ready", "string", "Number of the pod with ready state"), new("Up-to-date", "string", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
                new("Available", "string", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."), AgeColumn,
                new("Containers", "string", "Names of each container in the template.", 1), new("Images", "string", "Images referenced by each container in the template.", 1),
                new("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.", 1)];
        }

        if (type == ResourceTypes.ReplicaSets)
        {
            return [NameColumn, new("Desired", "integer", "Replicas is the number of desired replicas."), new("Current", "integer", "Replicas is the most recently observed number of replicas."),
                new("Ready", "integer", "The number of ready replicas for this replica set."), AgeColumn,
                new("Containers", "string", "Names of each container in the template.", 1), new("Images", "string", "Images referenced by each container in the template.", 1),
                new("Selector", "string", "Selector is a label query over pods that should match the replica count.", 1)];
        }

        if (type == ResourceTypes.Pods)
        {
            return [NameColumn, new("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."), new("Status", "string", "The aggregate status of the containers in this pod."),
                new("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."), AgeColumn,
                new("IP", "string", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
                new("Node", "string", "NodeName is a request to schedule this pod onto a specific node.", 1),
                new("Nominated Node", "string", "nominatedNodeName is set when this pod preempts other pods on the node.", 1),
                new("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.", 1)];
        }

        if (type == ResourceTypes.Services)
        {
            return [NameColumn, new("Type", "string", "Type determines how the Service is exposed."), new("Cluster-IP", "string", "clusterIP is the IP address of the service."),
                new("External-IP", "string", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
                new("Port(s)", "string", "The list of ports that are exposed by this service."), AgeColumn,
                new("Selector", "string", "Route service traffic to pods with label keys and values matching this selector.", 1)];
        }

        if (type == ResourceTypes.HorizontalPodAutoscalers)
        {
            return [NameColumn, new("Reference", "string", "reference to scaled resource"), new("Targets", "string", "metrics the autoscaler is targeting and their current values"),
                new("MinPods", "string", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down."),
                new("MaxPods", "integer", "maxReplicas is the upper limit for the number of pods that can be set by the autoscaler."),
                new("Replicas", "integer", "current number of replicas of pods managed by this autoscaler"), AgeColumn];
        }

        if (type == ResourceTypes.Namespaces)
        {
            return [NameColumn, new("Status", "string", "The status of the namespace"), AgeColumn];
        }

        if (type == ResourceTypes.Nodes)
        {
            return [NameColumn, new("Status", "string", "The status of the node"), new("Roles", "string", "The roles of the node"), AgeColumn,
                new("Version", "string", "Kubelet Version reported by the node.")];
        }

        if (type == ResourceTypes.Events)
        {
            return [new("Last Seen", "string", "Time when last this event was observed"), new("Type", "string", "Type of this event (Normal, Warning)"),
                new("Reason", "string", "This should be a short, machine understandable string that gives the reason for this event being generated."),
                new("Object", "string", "The object that this event is about."), new("Message", "string", "A human-readable description of the status of this operation.")];
        }

        if (type == ResourceTypes.ConfigMaps)
        {
            return [NameColumn, new("Data", "integer", "Data contains the configuration data."), AgeColumn];
        }

        if (type == ResourceTypes.Secrets)
        {
            return [NameColumn, new("Type", "string", "Used to facilitate programmatic handling of secret data."), new("Data", "integer", "Data contains the secret data."), AgeColumn];
        }

        if (type == ResourceTypes.Leases)
        {
            return [NameColumn, new("Holder", "string", "The holder of the lease."), AgeColumn];
        }

        if (type == ResourceTypes.PersistentVolumeClaims)
        {
            return [NameColumn, new("Status", "string", "The phase of the claim."), new("Volume", "string", "The bound volume."),
                new("Capacity", "string", "The capacity of the bound volume."), new("Access Modes", "string", "The access modes of the claim."),
                new("StorageClass", "string", "The storage class of the claim."), new("VolumeAttributesClass", "string", "The volume attributes class."), AgeColumn];
        }

        if (type == ResourceTypes.PersistentVolumes)
        {
            return [NameColumn, new("Capacity", "string", "The capacity of the volume."), new("Access Modes", "string", "The access modes of the volume."),
                new("Reclaim Policy", "string", "What happens to the volume when its claim is deleted."), new("Status", "string", "The phase of the volume."),
                new("Claim", "string", "The claim bound to the volume."), new("StorageClass", "string", "The storage class of the volume."),
                new("VolumeAttributesClass", "string", "The volume attributes class."), new("Reason", "string", "The reason of the phase."), AgeColumn];
        }

        if (type == ResourceTypes.Ingresses)
        {
            return [NameColumn, new("Class", "string", "The ingress class."), new("Hosts", "string", "Hosts the ingress serves."),
                new("Address", "string", "Address of the load balancer."), new("Ports", "string", "Ports of the load balancer."), AgeColumn];
        }

        if (type == ResourceTypes.PodDisruptionBudgets)
        {
            return [NameColumn, new("Min Available", "string", "minAvailable"), new("Max Unavailable", "string", "maxUnavailable"),
                new("Allowed Disruptions", "integer", "disruptionsAllowed"), AgeColumn];
        }

        if (type == ResourceTypes.StorageClasses)
        {
            return [NameColumn, new("Provisioner", "string", "The provisioner."), new("ReclaimPolicy", "string", "The reclaim policy."),
                new("VolumeBindingMode", "string", "The volume binding mode."), new("AllowVolumeExpansion", "string", "Whether volumes can grow."), AgeColumn];
        }

        if (type == ResourceTypes.Endpoints)
        {
            return [NameColumn, new("Endpoints", "string", "Addresses and ports of the ready endpoints."), AgeColumn];
        }

        if (type == ResourceTypes.ResourceQuotas)
        {
            return [NameColumn, AgeColumn, new("Request", "string", "Used and hard requests."), new("Limit", "string", "Used and hard limits.")];
        }

        if (type == ResourceTypes.RoleBindings || type == ResourceTypes.ClusterRoleBindings)
        {
            return [NameColumn, new("Role", "string", "The role bound."), AgeColumn];
        }

        return [NameColumn, AgeColumn];
    }

    private static IEnumerable<JsonNode?> CellsOf(ResourceType type, JsonObject o, DateTimeOffset now)
    {
        var name = Str(o, "metadata.name");
        var age = Age(Str(o, "metadata.creationTimestamp"), now);
        if (type == ResourceTypes.Deployments)
        {
            return [name, $"{Int(o, "status.readyReplicas")}/{Int(o, "spec.replicas", 1)}", Int(o, "status.updatedReplicas"), Int(o, "status.availableReplicas"), age,
                Containers(o, "spec.template.spec.containers", "name"), Containers(o, "spec.template.spec.containers", "image"), Selector(o["spec"]?["selector"])];
        }

        if (type == ResourceTypes.ReplicaSets)
        {
            return [name, Int(o, "spec.replicas", 1), Int(o, "status.replicas"), Int(o, "status.readyReplicas"), age,
                Containers(o, "spec.template.spec.containers", "name"), Containers(o, "spec.template.spec.containers", "image"), Selector(o["spec"]?["selector"])];
        }

        if (type == ResourceTypes.Pods)
        {
            var statuses = o["status"]?["containerStatuses"] as JsonArray ?? [];
            var total = (o["spec"]?["containers"] as JsonArray)?.Count ?? 0;
            var ready = statuses.Count(s => (bool?)s?["ready"] == true);
            var restarts = statuses.Sum(s => (long?)s?["restartCount"] ?? 0);
            return [name, $"{ready}/{total}", PodStatus(o), restarts.ToString(CultureInfo.InvariantCulture), age,
                Str(o, "status.podIP", "<none>"), Str(o, "spec.nodeName", "<none>"), Str(o, "status.nominatedNodeName", "<none>"), "<none>"];
        }
        if (type == ResourceTypes.Services)
        {
            var ports = (o["spec"]?["ports"] as JsonArray ?? []).Select(p =>
                $"{p?["port"]}{(p?["nodePort"] is { } np ? ":" + np : "")}/{(string?)p?["protocol"] ?? "TCP"}").ToList();
            var external = (o["spec"]?["externalIPs"] as JsonArray)?.Select(i => (string?)i).ToList() ?? [];
            var ingress = (o["status"]?["loadBalancer"]?["ingress"] as JsonArray)?.Select(i => (string?)i?["ip"] ?? (string?)i?["hostname"]).ToList() ?? [];
            var serviceType = Str(o, "spec.type", "ClusterIP");
            var externalText = external.Concat(ingress).Any() ? string.Join(",", external.Concat(ingress))
                : serviceType == "LoadBalancer" ? "<pending>" : "<none>";
            return [name, serviceType, Str(o, "spec.clusterIP", "<none>"), externalText, ports.Count == 0 ? "<none>" : string.Join(",", ports), age,
                o["spec"]?["selector"] is JsonObject sel ? string.Join(",", sel.Select(p => $"{p.Key}={p.Value}")) : "<none>"];
        }
        if (type == ResourceTypes.HorizontalPodAutoscalers)
        {
            var reference = $"{Str(o, "spec.scaleTargetRef.kind")}/{Str(o, "spec.scaleTargetRef.name")}";
            return [name, reference, HpaTargets(o), Int(o, "spec.minReplicas", 1).ToString(CultureInfo.InvariantCulture), Int(o, "spec.maxReplicas"), Int(o, "status.currentReplicas"), age];
        }
        if (type == ResourceTypes.Namespaces)
        {
            return [name, Str(o, "status.phase", "Active"), age];
        }

        if (type == ResourceTypes.Nodes)
        {
            var readyCondition = (o["status"]?["conditions"] as JsonArray)?.FirstOrDefault(c => (string?)c?["type"] == "Ready");
            var nodeStatus = (string?)readyCondition?["status"] == "True" ? "Ready" : "NotReady";
            var roles = (o["metadata"]?["labels"] as JsonObject)?.Select(p => p.Key)
                .Where(k => k.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal)).Select(k => k["node-role.kubernetes.io/".Length..]).ToList() ?? [];
            return [name, nodeStatus, roles.Count == 0 ? "<none>" : string.Join(",", roles), age, Str(o, "status.nodeInfo.kubeletVersion")];
        }
        if (type == ResourceTypes.Events)
        {
            var last = Str(o, "lastTimestamp");
            if (last.Length == 0)
            {
                last = Str(o, "eventTime");
            }

            if (last.Length == 0)
            {
                last = Str(o, "metadata.creationTimestamp");
            }

            return [Age(last, now), Str(o, "type"), Str(o, "reason"), $"{Str(o, "involvedObject.kind").ToLowerInvariant()}/{Str(o, "involvedObject.name")}", Str(o, "message")];
        }
        if (type == ResourceTypes.ConfigMaps)
        {
            return [name, Count(o["data"]) + Count(o["binaryData"]), age];
        }

        if (type == ResourceTypes.Secrets)
        {
            return [name, Str(o, "type", "Opaque"), Count(o["data"]) + Count(o["stringData"]), age];
        }

        if (type == ResourceTypes.Leases)
        {
            return [name, Str(o, "spec.holderIdentity", "<none>"), age];
        }

        if (type == ResourceTypes.PersistentVolumeClaims)
        {
            // As kubectl prints a claim: access modes and capacity of the bound volume, empty while Pending.
            return [name, Str(o, "status.phase", "Pending"), Str(o, "spec.volumeName"), Str(o, "status.capacity.storage"), AccessModes(o["status"]?["accessModes"]),
                Str(o, "spec.storageClassName", "<unset>"), "<unset>", age];
        }

        if (type == ResourceTypes.PersistentVolumes)
        {
            var claim = o["spec"]?["claimRef"] is JsonObject claimRef ? $"{claimRef["namespace"]}/{claimRef["name"]}" : "";
            return [name, Str(o, "spec.capacity.storage"), AccessModes(o["spec"]?["accessModes"]), Str(o, "spec.persistentVolumeReclaimPolicy"),
                Str(o, "status.phase"), claim, Str(o, "spec.storageClassName"), "<unset>", Str(o, "status.reason"), age];
        }

        if (type == ResourceTypes.Ingresses)
        {
            var rules = o["spec"]?["rules"] as JsonArray ?? [];
            var hosts = rules.Select(r => (string?)r?["host"] ?? "*").ToList();
            return [name, Str(o, "spec.ingressClassName", "<none>"), hosts.Count == 0 ? "*" : string.Join(",", hosts), "",
                o["spec"]?["tls"] is JsonArray { Count: > 0 } ? "80, 443" : "80", age];
        }

        if (type == ResourceTypes.PodDisruptionBudgets)
        {
            return [name, Str(o, "spec.minAvailable", "N/A"), Str(o, "spec.maxUnavailable", "N/A"), Int(o, "status.disruptionsAllowed"), age];
        }

        if (type == ResourceTypes.StorageClasses)
        {
            var isDefault = (string?)o["metadata"]?["annotations"]?["storageclass.kubernetes.io/is-default-class"] == "true";
            return [isDefault ? $"{name} (default)" : name, Str(o, "provisioner"), Str(o, "reclaimPolicy", "Delete"), Str(o, "volumeBindingMode", "Immediate"),
                o["allowVolumeExpansion"]?.ToJsonString() ?? "false", age];
        }

        if (type == ResourceTypes.Endpoints)
        {
            var endpoints = (o["subsets"] as JsonArray ?? []).SelectMany(s => (s?["addresses"] as JsonArray ?? [])
                .SelectMany(a => (s?["ports"] as JsonArray ?? []).Select(p => $"{a?["ip"]}:{p?["port"]}"))).ToList();
            return [name, endpoints.Count == 0 ? "<none>" : string.Join(",", endpoints), age];
        }

        if (type == ResourceTypes.ResourceQuotas)
        {
            string Usage(bool limits) => string.Join(", ", (o["spec"]?["hard"] as JsonObject ?? new JsonObject()).Where(p => p.Key.StartsWith("limits.", StringComparison.Ordinal) == limits)
                .Select(p => $"{p.Key}: {(string?)o["status"]?["used"]?[p.Key] ?? "0"}/{(string?)p.Value}"));
            return [name, age, Usage(false), Usage(true)];
        }

        if (type == ResourceTypes.RoleBindings || type == ResourceTypes.ClusterRoleBindings)
        {
            return [name, $"{Str(o, "roleRef.kind")}/{Str(o, "roleRef.name")}", age];
        }

        return [name, age];
    }

    private static string PodStatus(JsonObject pod)
    {
        if (pod["metadata"]?["deletionTimestamp"] is not null)
        {
            return "Terminating";
        }

        var reason = Str(pod, "status.reason");
        var phase = Str(pod, "status.phase", "Pending");
        var status = reason.Length > 0 ? reason : phase;
        var scheduled = (pod["status"]?["conditions"] as JsonArray)?.FirstOrDefault(c => (string?)c?["type"] == "PodScheduled");
        if ((string?)scheduled?["status"] == "False" && (string?)scheduled?["reason"] is { Length: > 0 } unschedulable && phase == "Pending")
        {
            status = "Pending";
        }

        foreach (var s in pod["status"]?["containerStatuses"] as JsonArray ?? [])
        {
            if ((string?)s?["state"]?["waiting"]?["reason"] is { Length: > 0 } waiting) { status = waiting; break; }
            if ((string?)s?["state"]?["terminated"]?["reason"] is { Length: > 0 } terminated && status == "Running")
            {
                status = terminated;
            }
        }
        return status;
    }

    private static string HpaTargets(JsonObject hpa)
    {
        var metrics = hpa["spec"]?["metrics"] as JsonArray ?? [];
        var current = hpa["status"]?["currentMetrics"] as JsonArray ?? [];
        if (metrics.Count == 0)
        {
            return "<none>";
        }

        var parts = new List<string>();
        for (var i = 0; i < metrics.Count; i++)
        {
            var target = metrics[i]?["resource"]?["target"];
            var actual = i < current.Count ? current[i]?["resource"]?["current"]?["averageUtilization"] : null;
            var resource = (string?)metrics[i]?["resource"]?["name"] ?? "metric";
            parts.Add(target?["averageUtilization"] is { } utilization
                ? $"{resource}: {(actual is null ? "<unknown>" : actual + "%")}/{utilization}%"
                : $"{(actual is null ? "<unknown>" : actual.ToString())}/{target?["averageValue"] ?? target?["value"]}");
        }
        return string.Join(", ", parts);
    }

    private static string Containers(JsonObject o, string path, string field)
    {
        var list = Node(o, path) as JsonArray ?? [];
        return string.Join(",", list.Select(c => (string?)c?[field] ?? ""));
    }

    /// <summary>A LabelSelector in its string form, e.g. <c>app=web,tier in (a,b)</c>.</summary>
    public static string Selector(JsonNode? selector)
    {
        var parts = new List<string>();
        if (selector?["matchLabels"] is JsonObject labels)
        {
            parts.AddRange(labels.Select(p => $"{p.Key}={p.Value}"));
        }

        foreach (var e in selector?["matchExpressions"] as JsonArray ?? [])
        {
            var key = (string?)e?["key"];
            var values = string.Join(",", (e?["values"] as JsonArray ?? []).Select(v => (string?)v));
            parts.Add((string?)e?["operator"] switch
            {
                "In" => $"{key} in ({values})",
                "NotIn" => $"{key} notin ({values})",
                "Exists" => $"{key}",
                "DoesNotExist" => $"!{key}",
                _ => "",
            });
        }
        return parts.Count == 0 ? "<none>" : string.Join(",", parts);
    }

    private static JsonNode? Node(JsonObject o, string path)
    {
        JsonNode? node = o;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject obj ? obj[part] : null;
        }

        return node;
    }

    private static string AccessModes(JsonNode? modes) =>
        string.Join(",", (modes as JsonArray ?? []).Select(m => (string?)m switch
        {
            "ReadWriteOnce" => "RWO", "ReadOnlyMany" => "ROX", "ReadWriteMany" => "RWX", "ReadWriteOncePod" => "RWOP", var other => other,
        }));

    private static string Str(JsonObject o, string path, string fallback = "") =>
        Node(o, path) is JsonValue v ? v.ToString() : fallback;

    private static long Int(JsonObject o, string path, long fallback = 0) =>
        Node(o, path) is JsonValue v && v.TryGetValue<long>(out var n) ? n : fallback;

    private static int Count(JsonNode? map) => map is JsonObject o ? o.Count : 0;

    private static string Age(string timestamp, DateTimeOffset now) =>
        DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? HumanDuration(now - t) : "<unknown>";

    /// <summary>Kubernetes' duration.HumanDuration: "45s", "2m30s", "3h", "5d".</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 60 * 2)
        {
            return $"{seconds}s";
        }

        var minutes = seconds / 60;
        if (minutes < 10)
        {
            return seconds % 60 == 0 ? $"{minutes}m" : $"{minutes}m{seconds % 60}s";
        }

        if (minutes < 60 * 3)
        {
            return $"{minutes}m";
        }

        var hours = minutes / 60;
        if (hours < 8)
        {
            return minutes % 60 == 0 ? $"{hours}h" : $"{hours}h{minutes % 60}m";
        }

        if (hours < 48)
        {
            return $"{hours}h";
        }

        if (hours < 24 * 8)
        {
            return hours % 24 == 0 ? $"{hours / 24}d" : $"{hours / 24}d{hours % 24}h";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24}d";
        }

        if (hours < 24 * 365 * 8)
        {
            return (hours / 24) % 365 == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{(hours / 24) % 365}d";
        }

        return $"{hours / 24 / 365}y";
    }
}
