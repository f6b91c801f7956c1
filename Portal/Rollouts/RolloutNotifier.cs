using System.Collections.Concurrent;

namespace Portal.Rollouts;

/// <summary>
/// Hands each new snapshot of a rollout to its in-process subscribers (live pages, the SignalR hub). Keeps the latest
/// per request so a new viewer sees the current state at once.
/// </summary>
public sealed class RolloutNotifier
{
    private readonly ConcurrentDictionary<int, RolloutSnapshot> latest = new();
    private readonly Lock gate = new();
    private readonly Dictionary<int, List<Func<RolloutSnapshot, Task>>> handlers = [];

    public RolloutSnapshot? Latest(int requestId) => latest.GetValueOrDefault(requestId);

    public int SubscriberCount(int requestId)
    {
        lock (gate)
        {
            return handlers.TryGetValue(requestId, out var list) ? list.Count : 0;
        }
    }

    public IDisposable Subscribe(int requestId, Func<RolloutSnapshot, Task> handler)
    {
        lock (gate)
        {
            if (!handlers.TryGetValue(requestId, out var list))
            {
                handlers[requestId] = list = [];
            }

            list.Add(handler);
        }

        return new Subscription(this, requestId, handler);
    }

    public async Task PublishAsync(RolloutSnapshot snapshot)
    {
        latest[snapshot.RequestId] = snapshot;
        Func<RolloutSnapshot, Task>[] current;
        lock (gate)
        {
            current = handlers.TryGetValue(snapshot.RequestId, out var list) ? [.. list] : [];
        }

        // One slow or failing viewer must not hold up the others or the tracker.
        await Task.WhenAll(current.Select(async handler =>
        {
            try
            {
                await handler(snapshot);
            }
            catch (Exception)
            {
                // A viewer's own failure is its own business (pages hand it to their dispatcher).
            }
        }));
    }

    public void Forget(int requestId) => latest.TryRemove(requestId, out _);

    private sealed class Subscription(RolloutNotifier notifier, int requestId, Func<RolloutSnapshot, Task> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (notifier.gate)
            {
                if (notifier.handlers.TryGetValue(requestId, out var list))
                {
                    list.Remove(handler);
                    if (list.Count == 0)
                    {
                        notifier.handlers.Remove(requestId);
                    }
                }
            }
        }
    }
}
