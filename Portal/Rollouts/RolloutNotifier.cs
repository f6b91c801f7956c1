namespace Portal.Rollouts;

/// <summary>
/// Hands each new snapshot of a rollout to the subscribers of that request only (live pages, the SignalR hub), in turn,
/// each on its own. Keeps the latest snapshot of a rollout while it goes on, so a new viewer sees it at once; a finished
/// rollout's snapshot leaves memory with its last viewer and is read from its record afterwards.
/// </summary>
public sealed class RolloutNotifier(ILogger<RolloutNotifier> logger)
{
    private readonly Lock gate = new();
    private readonly Dictionary<int, Followed> followed = [];

    public RolloutSnapshot? Latest(int requestId)
    {
        lock (gate)
        {
            return followed.GetValueOrDefault(requestId)?.Latest;
        }
    }

    public IDisposable Subscribe(int requestId, Func<RolloutSnapshot, Task> handler)
    {
        lock (gate)
        {
            if (!followed.TryGetValue(requestId, out var entry))
            {
                followed[requestId] = entry = new Followed();
            }

            entry.Handlers = [.. entry.Handlers, handler];
        }

        return new Subscription(this, requestId, handler);
    }

    public async Task PublishAsync(RolloutSnapshot snapshot)
    {
        Func<RolloutSnapshot, Task>[] current;
        lock (gate)
        {
            if (!followed.TryGetValue(snapshot.RequestId, out var entry))
            {
                followed[snapshot.RequestId] = entry = new Followed();
            }

            entry.Latest = snapshot;
            current = entry.Handlers;
            Trim(snapshot.RequestId, entry);
        }

        // Handlers only queue the snapshot (pages on their dispatcher, hub streams in their channel), so one slow
        // viewer cannot hold up the others or the tracker.
        foreach (var handler in current)
        {
            try
            {
                await handler(snapshot);
            }
            catch (Exception e)
            {
                logger.LogDebug(e, "A viewer of request {RequestId}'s rollout failed to take a snapshot", snapshot.RequestId);
            }
        }
    }

    /// <summary>A finished rollout nobody watches is forgotten: its record holds the final snapshot.</summary>
    private void Trim(int requestId, Followed entry)
    {
        if (entry.Handlers.Length == 0 && entry.Latest is null or { IsFinal: true })
        {
            followed.Remove(requestId);
        }
    }

    private sealed class Followed
    {
        public RolloutSnapshot? Latest { get; set; }

        public Func<RolloutSnapshot, Task>[] Handlers { get; set; } = [];
    }

    private sealed class Subscription(RolloutNotifier notifier, int requestId, Func<RolloutSnapshot, Task> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (notifier.gate)
            {
                if (notifier.followed.TryGetValue(requestId, out var entry))
                {
                    entry.Handlers = [.. entry.Handlers.Where(h => h != handler)];
                    notifier.Trim(requestId, entry);
                }
            }
        }
    }
}
