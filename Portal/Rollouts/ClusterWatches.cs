using Portal.Cluster;

namespace Portal.Rollouts;

/// <summary>
/// Hands out shared watches by (cluster, namespace, kind) with reference counts: the first user starts the watch, the
/// last one to leave stops it. A hundred viewers of one rollout cost the API server one watch per kind.
/// </summary>
public sealed class ClusterWatches(ClusterConnections connections, TimeProvider time, ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly Dictionary<(string Cluster, string Namespace, string Kind), (SharedWatch Watch, int Users)> watches = [];
    private readonly ILogger logger = loggers.CreateLogger<SharedWatch>();

    public WatchLease Acquire(string cluster, string ns, WatchedKind kind)
    {
        var key = (cluster, ns, kind.Name);
        SharedWatch watch;
        lock (gate)
        {
            if (watches.TryGetValue(key, out var entry))
            {
                watches[key] = (entry.Watch, entry.Users + 1);
                watch = entry.Watch;
            }
            else
            {
                watch = new SharedWatch(() => connections.ConnectAsync(cluster), kind, ns, time, logger);
                watches[key] = (watch, 1);
                watch.Start();
            }
        }

        return new WatchLease(watch, () => Release(key));
    }

    public async ValueTask DisposeAsync()
    {
        List<SharedWatch> all;
        lock (gate)
        {
            all = [.. watches.Values.Select(w => w.Watch)];
            watches.Clear();
        }

        foreach (var watch in all)
        {
            await watch.DisposeAsync();
        }
    }

    private void Release((string, string, string) key)
    {
        SharedWatch? stop = null;
        lock (gate)
        {
            if (watches.TryGetValue(key, out var entry))
            {
                if (entry.Users <= 1)
                {
                    watches.Remove(key);
                    stop = entry.Watch;
                }
                else
                {
                    watches[key] = (entry.Watch, entry.Users - 1);
                }
            }
        }

        if (stop is not null)
        {
            _ = stop.DisposeAsync().AsTask();
        }
    }
}

/// <summary>A use of a shared watch; disposing it gives the use back.</summary>
public sealed class WatchLease(SharedWatch watch, Action release) : IDisposable
{
    private int released;

    public SharedWatch Watch => watch;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0)
        {
            release();
        }
    }
}
