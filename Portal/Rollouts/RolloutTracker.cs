using System.Collections.Concurrent;
using k8s.Models;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Requests;

namespace Portal.Rollouts;

/// <summary>
/// Follows applied requests to their end through shared watches (Deployments, ReplicaSets, Pods, Events per cluster and
/// namespace), publishes a snapshot on every change, keeps the timeline, and records Succeeded or Failed.
/// </summary>
public sealed class RolloutTracker(
    ClusterWatches watches,
    RolloutNotifier notifier,
    IDbContextFactory<PortalDbContext> dbFactory,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<RolloutTracker> logger) : IAsyncDisposable
{
    private static readonly WatchedKind[] Kinds = [WatchedKind.Deployments, WatchedKind.ReplicaSets, WatchedKind.Pods, WatchedKind.Events];

    private readonly ConcurrentDictionary<int, TrackedRollout> tracked = new();

    private TimeProvider Time => time;

    private ILogger Logger => logger;

    /// <summary>Raised when a rollout ends, after its outcome is stored (auto-rollback listens).</summary>
    public event Func<int, RolloutPhase, Task>? Finished;

    public bool IsTracking(int requestId) => tracked.ContainsKey(requestId);

    public async Task TrackAsync(int requestId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var record = await db.RolloutRecords.AsNoTracking().SingleAsync(r => r.RequestId == requestId);
        var deploymentName = await db.DeploymentRequests.Where(r => r.Id == requestId).Select(r => r.Service.Name).SingleAsync();
        var rollout = new TrackedRollout(this, requestId, deploymentName, record.AppliedGeneration, record.AppliedAt ?? time.GetUtcNow(), record.Timeline.LastOrDefault()?.Summary);
        if (!tracked.TryAdd(requestId, rollout))
        {
            return;
        }

        rollout.Start([.. Kinds.Select(kind => watches.Acquire(record.Cluster, record.Namespace, kind))]);
    }

    /// <summary>
    /// Ends the following of a rollout stopped from outside ("Roll back now"): its last snapshot, as Failed with
    /// <paramref name="why"/>, is stored and published, and nothing more is.
    /// </summary>
    public async Task StopAsync(int requestId, string why)
    {
        if (!tracked.TryRemove(requestId, out var rollout))
        {
            return;
        }

        await rollout.StopAsync();
        var now = time.GetUtcNow();
        var final = (notifier.Latest(requestId) ?? RolloutSnapshot.Waiting(requestId, why, now)) with { Phase = RolloutPhase.Failed, Message = why, At = now };
        await RecordAsync(final);
        await notifier.PublishAsync(final);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var rollout in tracked.Values)
        {
            await rollout.StopAsync();
        }

        tracked.Clear();
    }

    private async Task EvaluateAsync(TrackedRollout rollout, IReadOnlyList<WatchLease> leases)
    {
        var deployment = leases[0].Watch.Items<V1Deployment>().FirstOrDefault(d => d.Metadata.Name == rollout.DeploymentName);
        var snapshot = RolloutVerdict.Evaluate(
            rollout.RequestId,
            deployment,
            rollout.AppliedGeneration,
            leases[1].Watch.Items<V1ReplicaSet>(),
            leases[2].Watch.Items<V1Pod>(),
            leases[3].Watch.Items<Corev1Event>(),
            rollout.AppliedAt,
            time.GetUtcNow());
        await notifier.PublishAsync(snapshot);
        if (snapshot.Summary != rollout.LastSummary || snapshot.IsFinal)
        {
            rollout.LastSummary = snapshot.Summary;
            await RecordAsync(snapshot);
        }

        if (snapshot.IsFinal)
        {
            await FinishAsync(rollout, snapshot);
        }
    }

    private async Task RecordAsync(RolloutSnapshot snapshot)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var record = await db.RolloutRecords.SingleAsync(r => r.RequestId == snapshot.RequestId);
        record.LastSnapshot = snapshot;
        record.Timeline = [.. record.Timeline, new TimelineEntry(snapshot.At, snapshot.Summary)];
        if (snapshot.IsFinal)
        {
            record.FinishedAt = snapshot.At;
        }

        await db.SaveChangesAsync();
    }

    private async Task FinishAsync(TrackedRollout rollout, RolloutSnapshot snapshot)
    {
        tracked.TryRemove(rollout.RequestId, out _);
        await using (var scope = scopes.CreateAsyncScope())
        {
            var lifecycle = scope.ServiceProvider.GetRequiredService<RequestLifecycle>();
            var outcome = snapshot.Phase == RolloutPhase.Succeeded
                ? await lifecycle.MarkSucceededAsync(rollout.RequestId, "rollout-tracker")
                : await lifecycle.MarkFailedAsync(rollout.RequestId, "rollout-tracker", snapshot.Blocking is null ? snapshot.Message : $"{snapshot.Message}: {snapshot.Blocking}");
            if (!outcome.Succeeded)
            {
                logger.LogWarning("Rollout of request {RequestId} ended {Phase} but the request could not record it: {Message}", rollout.RequestId, snapshot.Phase, outcome.Message);
            }
        }

        logger.LogInformation("Rollout of request {RequestId} ended: {Phase}", rollout.RequestId, snapshot.Phase);
        _ = rollout.StopAsync();
        if (Finished is { } finished)
        {
            await finished(rollout.RequestId, snapshot.Phase);
        }
    }

    private sealed class TrackedRollout(RolloutTracker tracker, int requestId, string deploymentName, long? appliedGeneration, DateTimeOffset appliedAt, string? lastSummary)
    {
        private readonly SemaphoreSlim signal = new(0, 1);
        private readonly CancellationTokenSource stopping = new();
        private readonly List<IDisposable> subscriptions = [];
        private IReadOnlyList<WatchLease> leases = [];
        private Task? loop;

        public int RequestId => requestId;

        public string DeploymentName => deploymentName;

        public long? AppliedGeneration => appliedGeneration;

        public DateTimeOffset AppliedAt => appliedAt;

        public string? LastSummary { get; set; } = lastSummary;

        public void Start(IReadOnlyList<WatchLease> acquired)
        {
            leases = acquired;
            subscriptions.AddRange(leases.Select(lease => lease.Watch.Listen(Poke)));
            // Elapsed time and the deadline move without any watch event.
            subscriptions.Add(tracker.Time.CreateTimer(_ => Poke(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
            loop = Task.Run(RunAsync);
        }

        public async Task StopAsync()
        {
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            await stopping.CancelAsync();
            subscriptions.ForEach(s => s.Dispose());
            foreach (var lease in leases)
            {
                lease.Dispose();
            }
        }

        private void Poke()
        {
            try
            {
                signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // An evaluation is already due: it will see this change too.
            }
        }

        private async Task RunAsync()
        {
            var token = stopping.Token;
            try
            {
                await Task.WhenAll(leases.Select(l => l.Watch.Synced)).WaitAsync(token);
                while (!token.IsCancellationRequested)
                {
                    await signal.WaitAsync(token);
                    try
                    {
                        await tracker.EvaluateAsync(this, leases);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        tracker.Logger.LogError(e, "Evaluating the rollout of request {RequestId} failed", requestId);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
