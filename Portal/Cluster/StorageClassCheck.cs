using k8s;

namespace Portal.Cluster;

/// <summary>One of a cluster's StorageClasses, as the volume form offers it.</summary>
public sealed record StorageClassChoice(string Name, bool IsDefault)
{
    public override string ToString() => IsDefault ? $"{Name} (default)" : Name;
}

/// <summary>A volume whose claim names a StorageClass the cluster does not have: its claim would stay Pending, and so would every pod that mounts it.</summary>
/// <param name="Volume">The volume's name in the request.</param>
/// <param name="StorageClass">The class it names.</param>
/// <param name="Known">The cluster's classes, the default one marked.</param>
public sealed record MissingStorageClass(string Volume, string StorageClass, string Known);

/// <summary>
/// Whether the StorageClasses that a request's new claims name exist in the cluster. Only claims the apply would create
/// are asked about: an existing claim keeps its class (it cannot change), even if that class was deleted since.
/// </summary>
public sealed class StorageClassCheck(ClusterConnections connections, ILogger<StorageClassCheck> logger)
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

        var classes = await ListAsync(cluster, cancellationToken);
        var names = classes.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var known = classes.Count == 0 ? "none" : string.Join(", ", classes);
        var service = manifests.Deployment.Metadata.Name;
        return [.. asked
            .Where(c => !names.Contains(c.Spec.StorageClassName))
            .Select(c => new MissingStorageClass(c.Metadata.Name.StartsWith(service + "-", StringComparison.Ordinal) ? c.Metadata.Name[(service.Length + 1)..] : c.Metadata.Name, c.Spec.StorageClassName, known))];
    }

    /// <summary>The cluster's StorageClasses by name, the default one marked.</summary>
    public async Task<IReadOnlyList<StorageClassChoice>> ListAsync(string cluster, CancellationToken cancellationToken = default)
    {
        var client = await connections.ConnectAsync(cluster);
        var classes = (await client.StorageV1.ListStorageClassAsync(cancellationToken: cancellationToken)).Items;
        return [.. classes
            .Select(c => new StorageClassChoice(c.Metadata.Name, c.Metadata.Annotations is { } annotations && annotations.TryGetValue(DefaultClassAnnotation, out var isDefault) && isDefault == "true"))
            .OrderBy(c => c.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The classes to suggest in the volume form, or null when the cluster could not be asked (the form then takes a
    /// typed name, and the review still checks it).
    /// </summary>
    public async Task<IReadOnlyList<StorageClassChoice>?> SuggestAsync(string cluster, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ListAsync(cluster, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Listing the StorageClasses of cluster {Cluster} for the volume form failed", cluster);
            return null;
        }
    }
}
