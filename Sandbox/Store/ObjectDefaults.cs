using System.Text.Json.Nodes;

namespace Sandbox.Store;

/// <summary>
/// The defaults a real API server fills in on write (replicas 1, RollingUpdate 25%/25%, imagePullPolicy, protocol TCP, ...),
/// so clients such as <c>kubectl describe</c> and the controllers find the fields they expect.
/// </summary>
internal static class ObjectDefaults
{
    public static void Apply(ResourceType type, JsonObject obj, long resourceVersion)
    {
        var spec = obj["spec"] as JsonObject;
        if (type == ResourceTypes.Deployments && spec is not null)
        {
            spec.TryAdd("replicas", 1);
            spec.TryAdd("revisionHistoryLimit", 10);
            spec.TryAdd("progressDeadlineSeconds", 600);
            var strategy = spec["strategy"] as JsonObject ?? new JsonObject();
            spec["strategy"] = strategy;
            strategy.TryAdd("type", "RollingUpdate");
            if ((string?)strategy["type"] == "RollingUpdate")
            {
                var rolling = strategy["rollingUpdate"] as JsonObject ?? new JsonObject();
                strategy["rollingUpdate"] = rolling;
                rolling.TryAdd("maxUnavailable", "25%");
                rolling.TryAdd("maxSurge", "25%");
            }
            PodSpec(spec["template"]?["spec"] as JsonObject);
        }
        else if (type == ResourceTypes.ReplicaSets && spec is not null)
        {
            spec.TryAdd("replicas", 1);
            PodSpec(spec["template"]?["spec"] as JsonObject);
        }
        else if (type == ResourceTypes.Pods)
        {
            PodSpec(spec);
        }
        else if (type == ResourceTypes.Services && spec is not null)
        {
            spec.TryAdd("type", "ClusterIP");
            spec.TryAdd("sessionAffinity", "None");
            if ((string?)spec["type"] != "ExternalName")
            {
                if (!spec.ContainsKey("clusterIP"))
                {
                    // Deterministic and unique enough for a local cluster: derived from the resourceVersion of the create.
                    var n = resourceVersion % 65000;
                    spec["clusterIP"] = $"10.96.{n / 250}.{n % 250 + 1}";
                }
                spec.TryAdd("clusterIPs", new JsonArray((string?)spec["clusterIP"]));
                spec.TryAdd("ipFamilies", new JsonArray("IPv4"));
                spec.TryAdd("ipFamilyPolicy", "SingleStack");
                spec.TryAdd("internalTrafficPolicy", "Cluster");
            }
            foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
            {
                port.TryAdd("protocol", "TCP");
                if (port["port"] is { } p)
                {
                    port.TryAdd("targetPort", p.DeepClone());
                }
            }
        }
        else if (type == ResourceTypes.HorizontalPodAutoscalers && spec is not null)
        {
            spec.TryAdd("minReplicas", 1);
        }
        else if (type == ResourceTypes.Secrets)
        {
            // An empty type (kubectl create secret generic sends one) defaults like a missing one.
            if (string.IsNullOrEmpty((string?)obj["type"]))
            {
                obj["type"] = "Opaque";
            }

            if (obj["stringData"] is JsonObject stringData)
            {
                // stringData is write-only: folded into data as the real server does.
                var data = obj["data"] as JsonObject ?? new JsonObject();
                obj["data"] = data;
                foreach (var (key, value) in stringData)
                {
                    data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes((string?)value ?? ""));
                }

                obj.Remove("stringData");
            }
        }
        else if (type == ResourceTypes.PersistentVolumeClaims && spec is not null)
        {
            // The class is the DefaultStorageClass admission plugin's business: ClusterStore fills it from the annotated default.
            spec.TryAdd("volumeMode", "Filesystem");
        }
        else if (type == ResourceTypes.PersistentVolumes && spec is not null)
        {
            spec.TryAdd("volumeMode", "Filesystem");
            spec.TryAdd("persistentVolumeReclaimPolicy", "Retain");
        }
        else if (type == ResourceTypes.StorageClasses)
        {
            obj.TryAdd("reclaimPolicy", "Delete");
            obj.TryAdd("volumeBindingMode", "Immediate");
        }
        else if (type == ResourceTypes.Namespaces)
        {
            var metadata = obj["metadata"]!.AsObject();
            var labels = metadata["labels"] as JsonObject ?? new JsonObject();
            metadata["labels"] = labels;
            labels["kubernetes.io/metadata.name"] = (string?)metadata["name"];
        }
    }

    private static void PodSpec(JsonObject? spec)
    {
        if (spec is null)
        {
            return;
        }

        spec.TryAdd("restartPolicy", "Always");
        spec.TryAdd("terminationGracePeriodSeconds", 30);
        spec.TryAdd("dnsPolicy", "ClusterFirst");
        spec.TryAdd("securityContext", new JsonObject());
        spec.TryAdd("schedulerName", "default-scheduler");
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var container in (spec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                var image = (string?)container["image"] ?? "";
                var lastPart = image[(image.LastIndexOf('/') + 1)..];
                var tagged = lastPart.Contains(':') && !lastPart.EndsWith(":latest", StringComparison.Ordinal);
                container.TryAdd("imagePullPolicy", tagged || image.Contains('@') ? "IfNotPresent" : "Always");
                container.TryAdd("terminationMessagePath", "/dev/termination-log");
                container.TryAdd("terminationMessagePolicy", "File");
                container.TryAdd("resources", new JsonObject());
                foreach (var port in (container["ports"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    port.TryAdd("protocol", "TCP");
                }
            }
        }
    }
}
