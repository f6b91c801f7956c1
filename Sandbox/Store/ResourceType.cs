namespace Sandbox.Store;

/// <summary>A kind of object the Sandbox serves, named the way its REST paths name it.</summary>
public sealed record ResourceType(string Group, string Version, string Plural, string Kind, bool Namespaced)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>Lower-case singular name, as discovery announces it (e.g. "deployment").</summary>
    public string Singular => Kind.ToLowerInvariant();

    public override string ToString() => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
}

/// <summary>Every resource type the Sandbox serves.</summary>
public static class ResourceTypes
{
    public static readonly ResourceType Namespaces = new("", "v1", "namespaces", "Namespace", false);
    public static readonly ResourceType Nodes = new("", "v1", "nodes", "Node", false);
    public static readonly ResourceType Pods = new("", "v1", "pods", "Pod", true);
    public static readonly ResourceType Services = new("", "v1", "services", "Service", true);
    public static readonly ResourceType Secrets = new("", "v1", "secrets", "Secret", true);
    public static readonly ResourceType ConfigMaps = new("", "v1", "configmaps", "ConfigMap", true);
    public static readonly ResourceType Events = new("", "v1", "events", "Event", true);
    public static readonly ResourceType Deployments = new("apps", "v1", "deployments", "Deployment", true);
    public static readonly ResourceType ReplicaSets = new("apps", "v1", "replicasets", "ReplicaSet", true);
    public static readonly ResourceType HorizontalPodAutoscalers = new("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true);
    public static readonly ResourceType Leases = new("coordination.k8s.io", "v1", "leases", "Lease", true);

    public static IReadOnlyList<ResourceType> All { get; } =
    [
        Namespaces, Nodes, Pods, Services, Secrets, ConfigMaps, Events,
        Deployments, ReplicaSets, HorizontalPodAutoscalers, Leases,
    ];

    /// <summary>The type served at <paramref name="group"/>/<paramref name="version"/>/<paramref name="plural"/>, or null.</summary>
    public static ResourceType? Find(string group, string version, string plural) =>
        All.FirstOrDefault(t => t.Group == group && t.Version == version && t.Plural == plural);

    /// <summary>The type of an apiVersion/kind pair, or null.</summary>
    public static ResourceType? FindByKind(string apiVersion, string kind) =>
        All.FirstOrDefault(t => t.ApiVersion == apiVersion && t.Kind == kind);
}
