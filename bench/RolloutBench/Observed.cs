using System.Diagnostics;
using k8s;
using k8s.Models;

namespace RolloutBench;

/// <summary>The numbers a Deployment state and a rollout snapshot share: what "the same state" means here.</summary>
public readonly record struct StateKey(int Desired, int Updated, int Ready, int Available);

/// <summary>Something seen at a moment (Stopwatch ticks).</summary>
public readonly record struct Seen<T>(long At, T Value);

/// <summary>Waits for the first item offered that matches, and tells when it was seen.</summary>
public sealed class Waiters<T>
{
    private readonly Lock gate = new();
    private readonly List<(Func<T, bool> Match, TaskCompletionSource<long> Seen)> waiting = [];

    public Task<long> WaitAsync(Func<T, bool> match)
    {
        var seen = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            waiting.Add((match, seen));
        }

        return seen.Task;
    }

    public void Offer(T item, long at)
    {
        lock (gate)
        {
            foreach (var waiter in waiting.Where(w => w.Match(item)).ToList())
            {
                waiter.Seen.TrySetResult(at);
                waiting.Remove(waiter);
            }
        }
    }
}

/// <summary>A plain watch on the Deployments of a namespace, as kubectl would hold one: the reference every hub client is measured against.</summary>
public sealed class RawWatch : IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly List<Seen<(string Name, StateKey Key)>> states = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;

    private RawWatch(IKubernetes client, string ns) => loop = Task.Run(() => RunAsync(client, ns, stopping.Token));

    public Waiters<(string Name, StateKey Key)> Waiters { get; } = new();

    public static RawWatch Start(IKubernetes client, string ns) => new(client, ns);

    public static StateKey KeyOf(V1Deployment deployment) => new(
        deployment.Spec.Replicas ?? 0,
        deployment.Status?.UpdatedReplicas ?? 0,
        deployment.Status?.ReadyReplicas ?? 0,
        deployment.Status?.AvailableReplicas ?? 0);

    /// <summary>The states of one Deployment seen between two moments, consecutive repeats merged.</summary>
    public List<Seen<StateKey>> StatesOf(string name, long from, long to)
    {
        lock (gate)
        {
            var result = new List<Seen<StateKey>>();
            foreach (var state in states.Where(s => s.Value.Name == name && s.At >= from && s.At <= to))
            {
                if (result.Count == 0 || result[^1].Value != state.Value.Key)
                {
                    result.Add(new Seen<StateKey>(state.At, state.Value.Key));
                }
            }

            return result;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RunAsync(IKubernetes client, string ns, CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    var list = await client.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: cancellationToken);
                    resourceVersion = list.Metadata.ResourceVersion;
                }

                await foreach (var (type, deployment) in client.AppsV1.WatchListNamespacedDeploymentAsync(ns, resourceVersion: resourceVersion, allowWatchBookmarks: true, cancellationToken: cancellationToken))
                {
                    var at = Stopwatch.GetTimestamp();
                    resourceVersion = deployment.Metadata?.ResourceVersion ?? resourceVersion;
                    if (type is WatchEventType.Added or WatchEventType.Modified)
                    {
                        var seen = (deployment.Metadata!.Name, KeyOf(deployment));
                        lock (gate)
                        {
                            states.Add(new Seen<(string, StateKey)>(at, seen));
                        }

                        Waiters.Offer(seen, at);
                    }
                }
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                resourceVersion = null;
                await Task.Delay(100, cancellationToken);
            }
        }
    }
}
