using k8s;

namespace Portal.Cluster;

/// <summary>The StorageClasses of an environment's cluster, offered as hints in the volumes form.</summary>
public static class StorageClasses
{
    public const string DefaultAnnotation = "storageclass.kubernetes.io/is-default-class";

    /// <summary>Their names, the default class marked; empty when the cluster cannot be asked now (the field stays free text).</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(ClusterConnections connections, string cluster, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            var client = await connections.ConnectAsync(cluster);
            var list = await client.StorageV1.ListStorageClassAsync(cancellationToken: timeout.Token);
            return [.. list.Items.OrderBy(c => c.Metadata.Name, StringComparer.Ordinal)
                .Select(c => c.Metadata.Annotations?.TryGetValue(DefaultAnnotation, out var isDefault) == true && isDefault == "true" ? $"{c.Metadata.Name} (default)" : c.Metadata.Name)];
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A hint only: a cluster that is down or forbids the list leaves the field free text.
            return [];
        }
    }
}
