using k8s;

namespace Portal.Cluster;

/// <summary>A volume whose claim names a StorageClass the cluster does not have: its claim would stay Pending, and so would every pod that mounts it.</summary>
/// <param name="Volume">The volume's name in the request.</param>
/// <param name="StorageClass">The class it names.</param>
/// <param name="Known">The cluster's classes, the default one marked.</param>
public sealed record MissingStorageClass(string Volume, string StorageClass, string Known);

/// <summary>
/// Whether the StorageClasses that a request's new claims name exist in the cluster. Only claims the apply would create
/// are asked about: an existing claim keeps its class (it cannot change), even if that class was deleted since.
/// </summary>
public sealed class StorageClassCheck(ClusterConnections connections)
{
    public const string DefaultClassAnnotation = "storageclass.kubernetes.io/is-default-class";

    public async Task<IReadOnlyList<MissingStorageClass>> CheckAsync(string cluster, Manifests manifests, LiveDiffResult diff, CancellationToken cancellationToken = default)
    {
        var created = diff.Objects.Where(o => o.Kind == "PersistentVolumeClaim" && o.Change == ObjectChange.Created).Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var asked = manifests.Claims
            .Where(c => created.Contains(c.Metadata.Name) && !string.IsNullOrEmpty(c.Spec.StorageClassName))
            .ToList();
        if (asked.Count == 0)
        {
            return [];
        }

        var client = await connections.ConnectAsync(cluster);
        var classes = (await client.StorageV1.ListStorageClassAsync(cancellationToken: cancellationToken)).Items;
        var names = classes.Select(c => c.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var known = classes.Count == 0
            ? "none"
            : string.Join(", ", classes.OrderBy(c => c.Metadata.Name, StringComparer.Ordinal).Select(c => c.Metadata.Annotations is { } annotations && annotations.TryGetValue(DefaultClassAnnotation, out var isDefault) && isDefault == "true" ? $"{c.Metadata.Name} (default)" : c.Metadata.Name));
        var service = manifests.Deployment.Metadata.Name;
        return [.. asked
            .Where(c => !names.Contains(c.Spec.StorageClassName))
            .Select(c => new MissingStorageClass(c.Metadata.Name.StartsWith(service + "-", StringComparison.Ordinal) ? c.Metadata.Name[(service.Length + 1)..] : c.Metadata.Name, c.Spec.StorageClassName, known))];
    }
}
