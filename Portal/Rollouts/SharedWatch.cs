using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Portal.Rollouts;

/// <summary>
/// One list-then-watch loop for one (cluster, namespace, kind), shared by every rollout and viewer that needs it: keeps
/// a cache of the objects, resumes from the last resourceVersion, relists on 410 Gone, backs off with jitter on errors.
/// </summary>
public sealed class SharedWatch : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, IKubernetesObject<V1ObjectMeta>> objects = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private readonly List<Action> listeners = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<Task<IKubernetes>> connect;
    private readonly WatchedKind kind;
    private readonly string ns;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private Task? loop;

    public SharedWatch(Func<Task<IKubernetes>> connect, WatchedKind kind, string ns, TimeProvider time, ILogger logger)
    {
        this.connect = connect;
        this.kind = kind;
        this.ns = ns;
        this.time = time;
        this.logger = logger;
    }

    /// <summary>Completes once the first list has filled the cache.</summary>
    public Task Synced => synced.Task;

    /// <summary>How many times the loop listed from scratch: once at start, then after each 410 or error.</summary>
    public int Relists { get; private set; }

    public void Start() => loop ??= Task.Run(() => RunAsync(stopping.Token));

    public IReadOnlyList<T> Items<T>()
        where T : IKubernetesObject<V1ObjectMeta> => [.. objects.Values.OfType<T>()];

    public IDisposable Listen(Action changed)
    {
        lock (gate)
        {
            listeners.Add(changed);
        }

        return new Listener(this, changed);
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
                    objects.Clear();
                    foreach (var item in items)
                    {
                        objects[item.Metadata.Name] = item;
                    }

                    resourceVersion = listVersion;
                    Relists++;
                    Operations.PortalMetrics.WatchListed(kind.Name, Relists);
                    synced.TrySetResult();
                    Changed();
                }

                await foreach (var (type, item) in kind.Watch(client, ns, resourceVersion, cancellationToken))
                {
                    failures = 0;
                    resourceVersion = item.Metadata?.ResourceVersion ?? resourceVersion;
                    switch (type)
                    {
                        case WatchEventType.Added or WatchEventType.Modified:
                            objects[item.Metadata!.Name] = item;
                            Changed();
                            break;
                        case WatchEventType.Deleted:
                            objects.TryRemove(item.Metadata!.Name, out _);
                            Changed();
                            break;
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
            listener();
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
