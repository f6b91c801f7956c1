using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Portal.Rollouts;

/// <summary>
/// One list-then-watch loop for one (cluster, namespace, kind), shared by every rollout and viewer that needs it: keeps
/// a cache of the objects, resumes from the last resourceVersion, relists on 410 Gone, backs off with jitter on errors.
/// Each listener is called in its own try/catch: a faulty one is logged and cannot stop or restart the watch.
/// </summary>
public sealed class SharedWatch : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, IKubernetesObject<V1ObjectMeta>> objects = new(StringComparer.Ordinal);

    // The names of the cached objects under each of their index keys (WatchedKind.IndexKeys), kept under cacheGate.
    private readonly Dictionary<string, HashSet<string>> index = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private readonly Lock cacheGate = new();
    private readonly List<Action> listeners = [];
    private readonly List<(long ResourceVersion, TaskCompletionSource Reached)> waiters = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<Task<IKubernetes>> connect;
    private readonly WatchedKind kind;
    private readonly string ns;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private long seen;
    private Task? loop;

    public SharedWatch(Func<Task<IKubernetes>> connect, WatchedKind kind, string ns, TimeProvider time, ILogger logger)
    {
        this.connect = connect;
        this.kind = kind;
        this.ns = ns;
        this.time = time;
        this.logger = logger;
    }

    /// <summary>What this watch follows.</summary>
    public WatchedKind Kind => kind;

    /// <summary>Completes once the first list has filled the cache.</summary>
    public Task Synced => synced.Task;

    /// <summary>How many times the loop listed from scratch: once at start, then after each 410 or error.</summary>
    public int Relists { get; private set; }

    /// <summary>
    /// The resourceVersion the cache is known to be complete up to: the newest of the last list, event or bookmark seen
    /// (0 while none is known, or when the server's resourceVersions are not integers).
    /// </summary>
    public long ResourceVersion => Interlocked.Read(ref seen);

    public void Start() => loop ??= Task.Run(() => RunAsync(stopping.Token));

    public IReadOnlyList<T> Items<T>()
        where T : IKubernetesObject<V1ObjectMeta> => [.. objects.Values.OfType<T>()];

    /// <summary>The cached object of that name, if any.</summary>
    public T? Get<T>(string name)
        where T : class, IKubernetesObject<V1ObjectMeta> => objects.GetValueOrDefault(name) as T;

    /// <summary>
    /// The cached objects filed under any of <paramref name="keys"/> by the kind's <see cref="WatchedKind.IndexKeys"/>
    /// (e.g. the Pods of these ReplicaSets, the Events about these objects), each once: what a caller of a busy namespace
    /// reads instead of every object of the kind.
    /// </summary>
    public IReadOnlyList<T> Indexed<T>(IEnumerable<string> keys)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var found = new List<T>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        lock (cacheGate)
        {
            foreach (var key in keys)
            {
                if (!index.TryGetValue(key, out var filed))
                {
                    continue;
                }

                foreach (var name in filed)
                {
                    if (names.Add(name) && objects.GetValueOrDefault(name) is T item)
                    {
                        found.Add(item);
                    }
                }
            }
        }

        return found;
    }

    public IDisposable Listen(Action changed)
    {
        lock (gate)
        {
            listeners.Add(changed);
        }

        return new Listener(this, changed);
    }

    /// <summary>
    /// Brings the cache at least to <paramref name="resourceVersion"/>: at once when the watch has seen it, else when the
    /// events in flight arrive or a fresh list comes back, whichever is first. A quiet watch gets a bookmark only about
    /// once a minute, so the list is what settles it when nothing more of this kind is on its way.
    /// </summary>
    public async Task CatchUpAsync(long resourceVersion, CancellationToken cancellationToken)
    {
        if (resourceVersion <= 0 || ResourceVersion >= resourceVersion)
        {
            return;
        }

        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            waiters.Add((resourceVersion, reached));
        }

        using var listing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            if (ResourceVersion >= resourceVersion)
            {
                return;
            }

            var list = ListAndMergeAsync(listing.Token);
            if (await Task.WhenAny(reached.Task, list) == list)
            {
                await list;
                return;
            }

            await listing.CancelAsync();
            try
            {
                await list;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The watch got there first: a late or failed list changes nothing.
            }
        }
        finally
        {
            lock (gate)
            {
                waiters.Remove((resourceVersion, reached));
            }
        }
    }

    private async Task ListAndMergeAsync(CancellationToken cancellationToken)
    {
        var client = await connect();
        var (items, listVersion) = await kind.List(client, ns, cancellationToken);
        Merge(items, Parse(listVersion));
        Changed();
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (loop is not null)
        {
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
            }
        }

        stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        string? resourceVersion = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var client = await connect();
                if (resourceVersion is null)
                {
                    var (items, listVersion) = await kind.List(client, ns, cancellationToken);
                    lock (cacheGate)
                    {
                        objects.Clear();
                        index.Clear();
                        foreach (var item in items)
                        {
                            Store(item);
                        }

                        // A fresh list is the cluster as it is now, and its version is where this watch stands, even when
                        // that is below what it saw before: a cluster restored from a backup or rebuilt counts again from
                        // lower versions, and its new objects must not be taken for stale ones (Put).
                        Interlocked.Exchange(ref seen, 0);
                    }

                    resourceVersion = listVersion;
                    Relists++;
                    Operations.PortalMetrics.WatchListed(kind.Name, Relists);
                    Advance(Parse(listVersion));
                    synced.TrySetResult();
                    Changed();
                }

                await foreach (var (type, item) in kind.Watch(client, ns, resourceVersion, cancellationToken))
                {
                    failures = 0;
                    resourceVersion = item.Metadata?.ResourceVersion ?? resourceVersion;
                    var changed = type switch
                    {
                        WatchEventType.Added or WatchEventType.Modified => Put(item),
                        WatchEventType.Deleted => Remove(item),
                        _ => false,
                    };
                    Advance(Parse(item.Metadata?.ResourceVersion));
                    if (changed)
                    {
                        Changed();
                    }
                }
            }
            catch (Exception e) when (IsGone(e))
            {
                // The history we resumed from is gone: start again from a fresh list.
                logger.LogInformation("Watch of {Kind} in {Namespace}: resourceVersion expired, listing again", kind.Name, ns);
                resourceVersion = null;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                failures++;
                resourceVersion = null;
                var delay = Backoff(failures);
                logger.LogWarning("Watch of {Kind} in {Namespace} failed ({Error}); retrying in {Delay}", kind.Name, ns, Describe(e), delay);
                await Task.Delay(delay, time, cancellationToken);
            }
        }
    }

    /// <summary>Takes a watched object unless the cache already holds a newer version of it (from a catch-up list).</summary>
    private bool Put(IKubernetesObject<V1ObjectMeta> item)
    {
        var version = Parse(item.Metadata.ResourceVersion);
        lock (cacheGate)
        {
            if (objects.TryGetValue(item.Metadata.Name, out var cached))
            {
                if (version > 0 && Parse(cached.Metadata.ResourceVersion) > version)
                {
                    return false;
                }
            }
            else if (version > 0 && version <= ResourceVersion)
            {
                // Older than a catch-up list that no longer had it: it was deleted since.
                return false;
            }

            Store(item);
            return true;
        }
    }

    private bool Remove(IKubernetesObject<V1ObjectMeta> item)
    {
        var version = Parse(item.Metadata.ResourceVersion);
        lock (cacheGate)
        {
            if (objects.TryGetValue(item.Metadata.Name, out var cached) && (version <= 0 || Parse(cached.Metadata.ResourceVersion) <= version))
            {
                return Drop(item.Metadata.Name);
            }

            return false;
        }
    }

    private void Merge(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> items, long listVersion)
    {
        lock (cacheGate)
        {
            var listed = items.Select(i => i.Metadata.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var item in items)
            {
                if (!objects.TryGetValue(item.Metadata.Name, out var cached) || Parse(cached.Metadata.ResourceVersion) <= Parse(item.Metadata.ResourceVersion))
                {
                    Store(item);
                }
            }

            foreach (var (name, cached) in objects)
            {
                if (!listed.Contains(name) && Parse(cached.Metadata.ResourceVersion) <= listVersion)
                {
                    Drop(name);
                }
            }
        }

        Advance(listVersion);
    }

    /// <summary>Caches <paramref name="item"/> in place of its older version, filed under its index keys. Under cacheGate.</summary>
    private void Store(IKubernetesObject<V1ObjectMeta> item)
    {
        // Who set which field is no concern of a reader of the cache, and it is often the bulk of an object: dropped, as
        // client-go's informers do with a transform, so the cache holds less and the GC copies less.
        item.Metadata.ManagedFields = null;
        var name = item.Metadata.Name;
        Unfile(name);
        objects[name] = item;
        foreach (var key in kind.IndexKeys(item))
        {
            if (!index.TryGetValue(key, out var filed))
            {
                index[key] = filed = new HashSet<string>(StringComparer.Ordinal);
            }

            filed.Add(name);
        }
    }

    /// <summary>Forgets the object of that name and its index entries. Under cacheGate.</summary>
    private bool Drop(string name)
    {
        Unfile(name);
        return objects.TryRemove(name, out _);
    }

    private void Unfile(string name)
    {
        if (!objects.TryGetValue(name, out var cached))
        {
            return;
        }

        foreach (var key in kind.IndexKeys(cached))
        {
            if (index.TryGetValue(key, out var filed) && filed.Remove(name) && filed.Count == 0)
            {
                index.Remove(key);
            }
        }
    }

    private void Advance(long version)
    {
        if (version <= 0)
        {
            return;
        }

        long current;
        do
        {
            current = Interlocked.Read(ref seen);
            if (version <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref seen, version, current) != current);

        lock (gate)
        {
            foreach (var (wanted, reached) in waiters)
            {
                if (version >= wanted)
                {
                    reached.TrySetResult();
                }
            }
        }
    }

    private static long Parse(string? resourceVersion) =>
        long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : 0;

    private static TimeSpan Backoff(int failures)
    {
        var exponential = TimeSpan.FromMilliseconds(250 * Math.Pow(2, Math.Min(failures, 8)));
        var capped = exponential < MaxBackoff ? exponential : MaxBackoff;
        return capped * (0.8 + (Random.Shared.NextDouble() * 0.4));
    }

    private static bool IsGone(Exception e) => e switch
    {
        HttpOperationException http => http.Response.StatusCode == HttpStatusCode.Gone,
        KubernetesException kubernetes => kubernetes.Status?.Code == 410,
        _ => false,
    };

    private static string Describe(Exception e) => e switch
    {
        HttpOperationException http => $"HTTP {(int)http.Response.StatusCode}",
        KubernetesException kubernetes => kubernetes.Status?.Message ?? "watch error",
        _ => e.GetType().Name + ": " + e.Message,
    };

    private void Changed()
    {
        Action[] current;
        lock (gate)
        {
            current = [.. listeners];
        }

        foreach (var listener in current)
        {
            try
            {
                listener();
            }
            catch (Exception e)
            {
                // One faulty listener must neither restart the watch nor keep the others from hearing of the change.
                logger.LogError(e, "A listener of the {Kind} watch in {Namespace} failed", kind.Name, ns);
            }
        }
    }

    private sealed class Listener(SharedWatch watch, Action changed) : IDisposable
    {
        public void Dispose()
        {
            lock (watch.gate)
            {
                watch.listeners.Remove(changed);
            }
        }
    }
}
