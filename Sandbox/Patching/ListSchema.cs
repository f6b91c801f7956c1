namespace Sandbox.Patching;

/// <summary>How a list field merges: replaced whole (atomic), merged by key (map) or merged as a set of scalars.</summary>
internal enum ListMerge { Atomic, Map, Set }

/// <summary>
/// What the Kubernetes schema says about the lists of the types served, as both strategic merge patch
/// (patchMergeKey/patchStrategy) and server-side apply (x-kubernetes-list-type/map-keys) use it.
/// Keyed by the field path with list indexes left out, e.g. spec.template.spec.containers.ports.
/// </summary>
internal sealed record ListSchema(ListMerge Merge, string[] Keys, string? PatchKey)
{
    private static readonly ListSchema Atomic = new(ListMerge.Atomic, [], null);
    private static readonly ListSchema Set = new(ListMerge.Set, [], null);

    private static ListSchema ByKey(params string[] keys) => new(ListMerge.Map, keys, keys[0]);

    public static ListSchema For(IReadOnlyList<string> path)
    {
        if (path.Count == 0)
        {
            return Atomic;
        }

        var field = path[^1];
        var parent = path.Count > 1 ? path[^2] : "";
        return field switch
        {
            "containers" or "initContainers" or "ephemeralContainers" => ByKey("name"),
            "env" or "imagePullSecrets" or "volumes" or "resourceClaims" or "schedulingGates" => ByKey("name"),
            "volumeMounts" => ByKey("mountPath"),
            "volumeDevices" => ByKey("devicePath"),
            "ports" when parent is "containers" or "initContainers" or "ephemeralContainers" => ByKey("containerPort", "protocol"),
            "ports" when path.Count == 2 && parent == "spec" => ByKey("port", "protocol"),
            "conditions" => ByKey("type"),
            "ownerReferences" => ByKey("uid"),
            "hostAliases" or "podIPs" or "hostIPs" => ByKey("ip"),
            "topologySpreadConstraints" => ByKey("topologyKey", "whenUnsatisfiable"),
            "finalizers" => Set,
            _ => Atomic,
        };
    }
}
