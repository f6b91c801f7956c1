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
    public static readonly ResourceType Endpoints = new("", "v1", "endpoints", "Endpoints", true);
    public static readonly ResourceType ServiceAccounts = new("", "v1", "serviceaccounts", "ServiceAccount", true);
    public static readonly ResourceType PersistentVolumeClaims = new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true);
    public static readonly ResourceType PersistentVolumes = new("", "v1", "persistentvolumes", "PersistentVolume", false);
    public static readonly ResourceType ResourceQuotas = new("", "v1", "resourcequotas", "ResourceQuota", true);
    public static readonly ResourceType StorageClasses = new("storage.k8s.io", "v1", "storageclasses", "StorageClass", false);
    public static readonly ResourceType Ingresses = new("networking.k8s.io", "v1", "ingresses", "Ingress", true);
    public static readonly ResourceType PodDisruptionBudgets = new("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true);
    public static readonly ResourceType Roles = new("rbac.authorization.k8s.io", "v1", "roles", "Role", true);
    public static readonly ResourceType RoleBindings = new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true);
    public static readonly ResourceType ClusterRoles = new("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false);
    public static readonly ResourceType ClusterRoleBindings = new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false);

    public static IReadOnlyList<ResourceType> All { get; } =
    [
        Namespaces, Nodes, Pods, Services, Secrets, ConfigMaps, Events, Endpoints, ServiceAccounts, PersistentVolumeClaims, PersistentVolumes, ResourceQuotas,
        Deployments, ReplicaSets, HorizontalPodAutoscalers, Leases, StorageClasses, Ingresses, PodDisruptionBudgets,
        Roles, RoleBindings, ClusterRoles, ClusterRoleBindings,
    ];

    /// <summary>Kinds without a <c>/status</c> subresource.</summary>
    public static bool HasStatus(ResourceType type) =>
        type != ConfigMaps && type != Secrets && type != Events && type != Leases && type != Endpoints && type != ServiceAccounts
        && type != StorageClasses && type.Group != "rbac.authorization.k8s.io";

    /// <summary>The type served at <paramref name="group"/>/<paramref name="version"/>/<paramref name="plural"/>, or null.</summary>
    public static ResourceType? Find(string group, string version, string plural) =>
        All.FirstOrDefault(t => t.Group == group && t.Version == version && t.Plural == plural);

    /// <summary>The type of an apiVersion/kind pair, or null.</summary>
    public static ResourceType? FindByKind(string apiVersion, string kind) =>
        All.FirstOrDefault(t => t.ApiVersion == apiVersion && t.Kind == kind);
}
