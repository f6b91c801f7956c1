using System.Collections.Concurrent;
using k8s;

namespace Portal.Cluster;

/// <summary>
/// The resourceVersion a cluster is at, read with one small list (<c>deployments?limit=1</c> in a namespace). A list's
/// resourceVersion is the store's revision, which every write anywhere in the cluster advances (one etcd; the Sandbox's
/// counter): while it is the same, nothing in the cluster has changed. Callers arriving together share one read, and a
/// read is only shared with callers that arrived before it was sent, so no caller gets an answer older than its call.
/// </summary>
public sealed class ClusterRevisions(ClusterConnections connections, ILogger<ClusterRevisions> logger)
{
    private readonly ConcurrentDictionary<(string Cluster, string Namespace), Coalesced<string?>> reads = new();

    /// <summary>The cluster's revision now; null when it could not be read (the caller then asks the cluster in full).</summary>
    public Task<string?> CurrentAsync(string cluster, string ns, CancellationToken cancellationToken = default) =>
        reads.GetOrAdd((cluster, ns), key => new Coalesced<string?>(() => ReadAsync(key.Cluster, key.Namespace))).NextAsync().WaitAsync(cancellationToken);

    private async Task<string?> ReadAsync(string cluster, string ns)
    {
        try
        {
            var client = await connections.ConnectAsync(cluster);
            using var timeout = new CancellationTokenSource(LiveDiff.Timeout);
            var list = await client.AppsV1.ListNamespacedDeploymentAsync(ns, limit: 1, cancellationToken: timeout.Token);
            return list.Metadata?.ResourceVersion is { Length: > 0 } revision ? revision : null;
        }
        catch (Exception e)
        {
            logger.LogDebug("The revision of cluster {Cluster} could not be read: {Reason}", cluster, e.GetType().Name);
            return null;
        }
    }
}

/// <summary>
/// One read at a time; callers arriving while a read is in flight wait for the next one, which starts when it ends, so
/// every answer was read after its caller arrived. <paramref name="read"/> must not throw.
/// </summary>
public sealed class Coalesced<T>(Func<Task<T>> read)
{
    private readonly Lock gate = new();
    private bool busy;
    private TaskCompletionSource<T>? waiting;

    public Task<T> NextAsync()
    {
        TaskCompletionSource<T> first;
        lock (gate)
        {
            if (busy)
            {
                waiting ??= new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
                return waiting.Task;
            }

            busy = true;
            first = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _ = RunAsync(first);
        return first.Task;
    }

    private async Task RunAsync(TaskCompletionSource<T> promise)
    {
        while (true)
        {
            try
            {
                promise.TrySetResult(await read());
            }
            catch (Exception e)
            {
                promise.TrySetException(e);
            }

            lock (gate)
            {
                if (waiting is null)
                {
                    busy = false;
                    return;
                }

                promise = waiting;
                waiting = null;
            }
        }
    }
}
