using System.Text.Json;
using Portal.Operations;

namespace Portal.Rollouts;

/// <summary>
/// Hands each new snapshot of a rollout to the subscribers of that request only (live pages, the SignalR hub), in turn,
/// each on its own. Keeps the latest snapshot of a rollout while it goes on, so a new viewer sees it at once; a finished
/// rollout's snapshot leaves memory with its last viewer and is read from its record afterwards.
/// With several instances, only the leader follows rollouts: its snapshots cross to the others through the
/// <see cref="InstanceBus"/>, which also keeps the latest one for an instance that was not listening yet.
/// </summary>
public sealed class RolloutNotifier : IDisposable
{
    private const string Topic = "rollouts";

    // A running rollout's latest snapshot outlives a leader that died; a finished one is read from its record.
    private static readonly TimeSpan KeepRunning = TimeSpan.FromHours(6);
    private static readonly TimeSpan KeepFinished = TimeSpan.FromMinutes(5);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Lock gate = new();
    private readonly Dictionary<int, Followed> followed = [];
    private readonly InstanceBus bus;
    private readonly ILogger<RolloutNotifier> logger;
    private readonly IDisposable remote;

    public RolloutNotifier(InstanceBus bus, ILogger<RolloutNotifier> logger)
    {
        this.bus = bus;
        this.logger = logger;
        remote = bus.Subscribe(Topic, ReceiveAsync);
    }

    public void Dispose() => remote.Dispose();

    /// <summary>The latest snapshot of a rollout going on: known here, or kept by the instance that follows it.</summary>
    public async Task<RolloutSnapshot?> LatestAsync(int requestId)
    {
        var known = Latest(requestId);
        if (known is not null || !bus.CrossesInstances)
        {
            return known;
        }

        var kept = await bus.KeptAsync(KeptKey(requestId));
        return kept is null ? null : JsonSerializer.Deserialize<RolloutSnapshot>(kept, Json);
    }

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
        if (bus.CrossesInstances)
        {
            bus.Publish(Topic, JsonSerializer.Serialize(snapshot, Json), (KeptKey(snapshot.RequestId), snapshot.IsFinal ? KeepFinished : KeepRunning));
        }

        await DeliverAsync(snapshot);
    }

    private static string KeptKey(int requestId) => $"rollout:{requestId}";

    private async Task ReceiveAsync(string message)
    {
        if (JsonSerializer.Deserialize<RolloutSnapshot>(message, Json) is { } snapshot)
        {
            await DeliverAsync(snapshot);
        }
    }

    private async Task DeliverAsync(RolloutSnapshot snapshot)
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
