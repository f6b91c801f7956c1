using System.Collections.Concurrent;
using System.Globalization;
using k8s.Models;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Requests;

namespace Portal.Rollouts;

/// <summary>
/// Follows applied requests to their end through shared watches (Deployments, ReplicaSets, Pods, Events per cluster and
/// namespace). It evaluates only when a watched object changes (plus one timer at the progress deadline), publishes a
/// snapshot only when it differs from the last one, records the timeline off the publish path, and stores the final
/// state once every watch has caught up with the event that decided it, before announcing it.
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

    // How long the first list of a watch may take before an apply goes ahead anyway (an unreachable cluster).
    private static readonly TimeSpan SyncWait = TimeSpan.FromSeconds(5);

    // After a publish, further changes within this (real) time are merged into one publish at its end; a change after a
    // quiet spell goes out at once. Well inside the 50 ms the issue allows, so no state waits longer than that.
    internal static readonly TimeSpan MergeWindowLength = TimeSpan.FromMilliseconds(20);

    private readonly ConcurrentDictionary<int, TrackedRollout> tracked = new();
    private readonly Lock observersGate = new();
    private Func<int, RolloutPhase, Task>[] observers = [];

    private TimeProvider Time => time;

    private ILogger Logger => logger;

    private RolloutNotifier Notifier => notifier;

    /// <summary>
    /// Calls <paramref name="observer"/> when a rollout ends, after its outcome is stored. Observers are awaited in turn,
    /// each on its own: one that throws is logged and the others still run. Dispose the result to stop observing.
    /// </summary>
    public IDisposable WhenFinished(Func<int, RolloutPhase, Task> observer)
    {
        lock (observersGate)
        {
            observers = [.. observers, observer];
        }

        return new Observation(this, observer);
    }

    /// <summary>
    /// Opens the shared watches of <paramref name="ns"/> and waits for their first list, so that every state the apply
    /// causes is seen. Hand the result the apply's outcome with <see cref="PreparedRollout.Applied"/>; disposing it
    /// before that gives the watches back.
    /// </summary>
    public async Task<PreparedRollout> PrepareAsync(int requestId, string cluster, string ns, string deploymentName, CancellationToken cancellationToken)
    {
        var leases = Acquire(cluster, ns);
        try
        {
            await Task.WhenAll(leases.Select(l => l.Watch.Synced)).WaitAsync(SyncWait, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            // The cluster does not answer yet; the apply will find out and retry, and the watches keep trying.
        }
        catch
        {
            leases.ForEach(l => l.Dispose());
            throw;
        }

        return new PreparedRollout(this, new TrackedRollout(this, requestId, deploymentName, leases));
    }

    /// <summary>Follows a rollout whose request is RollingOut already (after a restart).</summary>
    public async Task TrackAsync(int requestId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var record = await db.RolloutRecords.AsNoTracking().SingleAsync(r => r.RequestId == requestId);
        var deploymentName = await db.DeploymentRequests.Where(r => r.Id == requestId).Select(r => r.Service.Name).SingleAsync();
        var rollout = new TrackedRollout(this, requestId, deploymentName, Acquire(record.Cluster, record.Namespace));
        Begin(rollout, record.AppliedGeneration, record.AppliedAt ?? time.GetUtcNow(), record.Timeline.LastOrDefault()?.Summary);
        rollout.Recorded();
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
        await rollout.Recorder.FlushAsync();
        await WriteAsync(requestId, final, [new TimelineEntry(now, final.Summary)]);
        await notifier.PublishAsync(final);
    }

    public async ValueTask DisposeAsync() => await StopFollowingAsync();

    /// <summary>
    /// Stops following every rollout, writing nothing more (this instance no longer leads): the next leader resumes
    /// them from their records.
    /// </summary>
    public async Task StopFollowingAsync()
    {
        foreach (var (requestId, rollout) in tracked.ToArray())
        {
            tracked.TryRemove(KeyValuePair.Create(requestId, rollout));
            await rollout.StopAsync();
        }
    }

    private List<WatchLease> Acquire(string cluster, string ns)
    {
        var leases = new List<WatchLease>();
        try
        {
            leases.AddRange(Kinds.Select(kind => watches.Acquire(cluster, ns, kind)));
            return leases;
        }
        catch
        {
            leases.ForEach(l => l.Dispose());
            throw;
        }
    }

    private void Begin(TrackedRollout rollout, long? appliedGeneration, DateTimeOffset appliedAt, string? lastSummary)
    {
        if (tracked.TryRemove(rollout.RequestId, out var previous) && previous != rollout)
        {
            _ = previous.StopAsync();
        }

        tracked[rollout.RequestId] = rollout;
        rollout.Start(appliedGeneration, appliedAt, lastSummary);
    }

    private RolloutSnapshot Evaluate(TrackedRollout rollout)
    {
        // Only what can concern this Deployment is read from the watches' indexes (a namespace may hold many other
        // objects, and an hour of Events): its ReplicaSets, their Pods, the Events about any of them.
        var leases = rollout.Leases;
        var deployment = leases[0].Watch.Get<V1Deployment>(rollout.DeploymentName);
        IReadOnlyList<V1ReplicaSet> replicaSets = deployment?.Metadata.Uid is { } uid ? leases[1].Watch.Indexed<V1ReplicaSet>([uid]) : [];
        var pods = leases[2].Watch.Indexed<V1Pod>(replicaSets.Select(rs => rs.Metadata.Uid));
        var events = leases[3].Watch.Indexed<Corev1Event>(replicaSets.Select(rs => rs.Metadata.Name).Append(rollout.DeploymentName).Concat(pods.Select(p => p.Metadata.Name)));
        return RolloutVerdict.Evaluate(
            rollout.RequestId,
            deployment,
            rollout.AppliedGeneration,
            replicaSets,
            pods,
            events,
            rollout.AppliedAt,
            time.GetUtcNow()) with { StartedAt = rollout.AppliedAt };
    }

    /// <summary>The resourceVersion of the Deployment the snapshot was judged from: the event that decided it.</summary>
    private static long DecidingVersion(TrackedRollout rollout)
    {
        var deployment = rollout.Leases[0].Watch.Get<V1Deployment>(rollout.DeploymentName);
        var version = long.TryParse(deployment?.Metadata.ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        return Math.Max(version, rollout.Leases[0].Watch.ResourceVersion);
    }

    private async Task<RolloutSnapshot> SettleAsync(TrackedRollout rollout, CancellationToken cancellationToken)
    {
        // The Deployment's status is written after the ReplicaSet and Pod updates it counts, but those arrive on watches
        // of their own, possibly later: listen until each has caught up with the deciding event, then judge again.
        var deciding = DecidingVersion(rollout);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Task.WhenAll(rollout.Leases.Take(3).Select(l => l.Watch.CatchUpAsync(deciding, cancellationToken)));
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException && attempt < 5)
            {
                logger.LogWarning("Catching up with the watches of request {RequestId} failed ({Error}); trying again", rollout.RequestId, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), time, cancellationToken);
            }
        }

        return Evaluate(rollout);
    }

    private async Task FinishAsync(TrackedRollout rollout, RolloutSnapshot snapshot)
    {
        var storing = time.GetTimestamp();
        await rollout.Recorder.FlushAsync();
        logger.LogDebug("Rollout of request {RequestId}: final state stored in {Elapsed} ms", rollout.RequestId, time.GetElapsedTime(storing).TotalMilliseconds);
        await notifier.PublishAsync(snapshot);
        await rollout.RecordedTask;
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
        tracked.TryRemove(KeyValuePair.Create(rollout.RequestId, rollout));
        await rollout.StopAsync();
        Func<int, RolloutPhase, Task>[] current;
        lock (observersGate)
        {
            current = observers;
        }

        foreach (var observer in current)
        {
            try
            {
                await observer(rollout.RequestId, snapshot.Phase);
            }
            catch (Exception e)
            {
                logger.LogError(e, "An observer of the end of request {RequestId}'s rollout failed", rollout.RequestId);
            }
        }
    }

    /// <summary>
    /// Stores <paramref name="snapshot"/> as the record's last one and appends <paramref name="lines"/> to its timeline;
    /// returns the whole timeline as stored. The timeline is read from the record unless <paramref name="timeline"/>
    /// gives it (what it was after the last write, when nobody else writes the record).
    /// </summary>
    private async Task<List<TimelineEntry>> WriteAsync(int requestId, RolloutSnapshot snapshot, IReadOnlyList<TimelineEntry> lines, List<TimelineEntry>? timeline = null)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var record = db.RolloutRecords.Where(r => r.RequestId == requestId);
        timeline ??= await record.Select(r => r.Timeline).SingleAsync();
        List<TimelineEntry> appended = [.. timeline, .. lines];
        var updated = await record.ExecuteUpdateAsync(set =>
        {
            set.SetProperty(r => r.LastSnapshot, snapshot).SetProperty(r => r.Timeline, appended);
            if (snapshot.IsFinal)
            {
                set.SetProperty(r => r.FinishedAt, snapshot.At);
            }
        });
        return updated == 1 ? appended : throw new InvalidOperationException($"The rollout record of request {requestId} is gone.");
    }

    /// <summary>Whether two snapshots say the same thing (their time and elapsed time aside).</summary>
    internal static bool SameState(RolloutSnapshot? a, RolloutSnapshot b) =>
        a is not null
        && a.Phase == b.Phase
        && a.Message == b.Message
        && a.Blocking == b.Blocking
        && a.Desired == b.Desired
        && a.Updated == b.Updated
        && a.Ready == b.Ready
        && a.Available == b.Available
        && a.Deadline == b.Deadline
        && a.ReplicaSets.SequenceEqual(b.ReplicaSets)
        && a.Pods.SequenceEqual(b.Pods)
        && a.Events.SequenceEqual(b.Events);

    private sealed class Observation(RolloutTracker tracker, Func<int, RolloutPhase, Task> observer) : IDisposable
    {
        public void Dispose()
        {
            lock (tracker.observersGate)
            {
                tracker.observers = [.. tracker.observers.Where(o => o != observer)];
            }
        }
    }

    /// <summary>A rollout whose watches are open before its apply; see <see cref="PrepareAsync"/>.</summary>
    public sealed class PreparedRollout : IDisposable
    {
        private readonly RolloutTracker tracker;
        private readonly TrackedRollout rollout;
        private bool handedOver;
        private bool begun;

        internal PreparedRollout(RolloutTracker tracker, TrackedRollout rollout)
        {
            this.tracker = tracker;
            this.rollout = rollout;
        }

        /// <summary>The apply went through: judge every change from now on.</summary>
        public void Applied(long? generation, DateTimeOffset appliedAt)
        {
            // Applied again after a failure past the Deployment: the same spec, the same rollout.
            if (!begun)
            {
                begun = true;
                tracker.Begin(rollout, generation, appliedAt, null);
            }
        }

        /// <summary>The request is RollingOut in the database: the tracker may now write its record and end it.</summary>
        public void Recorded()
        {
            handedOver = true;
            rollout.Recorded();
        }

        /// <summary>Stops following unless the request was handed over (the apply failed, or the hand-over did).</summary>
        public void Dispose()
        {
            if (!handedOver)
            {
                tracker.tracked.TryRemove(KeyValuePair.Create(rollout.RequestId, rollout));
                _ = rollout.StopAsync();
            }
        }
    }

    internal sealed class TrackedRollout(RolloutTracker tracker, int requestId, string deploymentName, IReadOnlyList<WatchLease> leases)
    {
        private readonly MergeWindow window = new(MergeWindowLength, TimeProvider.System);
        private readonly CancellationTokenSource stopping = new();
        private readonly List<IDisposable> subscriptions = [];
        private readonly TaskCompletionSource recorded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private ITimer? deadline;
        private TimeSpan armedFor;
        private RolloutSnapshot? published;
        private string? lastSummary;
        private int stopped;

        public int RequestId => requestId;

        public string DeploymentName => deploymentName;

        public IReadOnlyList<WatchLease> Leases => leases;

        public long? AppliedGeneration { get; private set; }

        public DateTimeOffset AppliedAt { get; private set; }

        public Task RecordedTask => recorded.Task;

        public SnapshotRecorder Recorder { get; } = new(tracker, requestId);

        public void Recorded() => recorded.TrySetResult();

        public void Start(long? appliedGeneration, DateTimeOffset appliedAt, string? summary)
        {
            AppliedGeneration = appliedGeneration;
            AppliedAt = appliedAt;
            lastSummary = summary;
            Recorder.After(recorded.Task);
            // The Deployment's own changes (what kubectl rollout status follows) go out at once; the ReplicaSet, Pod and
            // Event changes that come in bursts around them are merged within the window.
            subscriptions.AddRange(leases.Select(lease => lease.Watch.Listen(lease.Watch.Kind == WatchedKind.Deployments ? window.PokeNow : Poke)));
            deadline = tracker.Time.CreateTimer(_ => window.PokeNow(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            subscriptions.Add(deadline);
            Poke();
            _ = Task.Run(RunAsync);
        }

        public async Task StopAsync()
        {
            if (Interlocked.Exchange(ref stopped, 1) == 1)
            {
                return;
            }

            await stopping.CancelAsync();
            recorded.TrySetCanceled();
            subscriptions.ForEach(s => s.Dispose());
            foreach (var lease in leases)
            {
                lease.Dispose();
            }
        }

        private void Poke() => window.Poke();

        private void ArmDeadline(RolloutSnapshot snapshot)
        {
            // The one moment something can change without a watch event: the progress deadline passing.
            if (snapshot.Deadline <= TimeSpan.Zero || snapshot.Deadline == armedFor)
            {
                return;
            }

            armedFor = snapshot.Deadline;
            var due = AppliedAt + snapshot.Deadline + TimeSpan.FromSeconds(1) - tracker.Time.GetUtcNow();
            deadline?.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        private async Task RunAsync()
        {
            var token = stopping.Token;
            try
            {
                await Task.WhenAll(leases.Select(l => l.Watch.Synced)).WaitAsync(token);
                await window.RunAsync(StepAsync, e =>
                {
                    tracker.Logger.LogError(e, "Evaluating the rollout of request {RequestId} failed", requestId);
                    return true;
                }, token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        /// <summary>One evaluation: whether it published a new state or ended the rollout.</summary>
        private async Task<StepOutcome> StepAsync(CancellationToken token)
        {
            var snapshot = tracker.Evaluate(this);
            if (snapshot.IsFinal)
            {
                var settling = tracker.Time.GetTimestamp();
                snapshot = await tracker.SettleAsync(this, token);
                tracker.Logger.LogDebug("Rollout of request {RequestId}: the watches caught up in {Elapsed} ms", requestId, tracker.Time.GetElapsedTime(settling).TotalMilliseconds);
            }

            ArmDeadline(snapshot);
            if (SameState(published, snapshot) && !snapshot.IsFinal)
            {
                return StepOutcome.Unchanged;
            }

            published = snapshot;
            TimelineEntry? line = null;
            if (snapshot.Summary != lastSummary || snapshot.IsFinal)
            {
                lastSummary = snapshot.Summary;
                line = new TimelineEntry(snapshot.At, snapshot.Summary);
            }

            if (snapshot.IsFinal)
            {
                // The terminal state is written before it is announced.
                Recorder.Enqueue(snapshot, line);
                await tracker.FinishAsync(this, snapshot);
                return StepOutcome.Done;
            }

            // Viewers first; the record's write (coalesced, off this path) starts once they have it.
            await tracker.Notifier.PublishAsync(snapshot);
            Recorder.Enqueue(snapshot, line);
            return StepOutcome.Published;
        }
    }

    /// <summary>
    /// Writes a rollout's latest snapshot and new timeline lines to its record, off the publish path: at most one write in
    /// flight, and what arrives meanwhile is merged into the next one.
    /// </summary>
    internal sealed class SnapshotRecorder(RolloutTracker tracker, int requestId)
    {
        private readonly Lock gate = new();
        private readonly List<TimelineEntry> lines = [];
        private RolloutSnapshot? pending;
        private Task? writing;
        private Task before = Task.CompletedTask;
        private List<TimelineEntry>? timeline;

        /// <summary>Nothing is written before <paramref name="task"/> ends (the apply worker's own writes to the record).</summary>
        public void After(Task task) => before = task;

        public void Enqueue(RolloutSnapshot snapshot, TimelineEntry? line)
        {
            lock (gate)
            {
                pending = snapshot;
                if (line is not null)
                {
                    lines.Add(line);
                }

                writing ??= Task.Run(WriteAllAsync);
            }
        }

        public async Task FlushAsync()
        {
            Task? current;
            lock (gate)
            {
                current = writing;
            }

            if (current is not null)
            {
                await current;
            }
        }

        private async Task WriteAllAsync()
        {
            try
            {
                await before;
            }
            catch (OperationCanceledException)
            {
                lock (gate)
                {
                    writing = null;
                }

                return;
            }

            while (true)
            {
                RolloutSnapshot snapshot;
                List<TimelineEntry> batch;
                lock (gate)
                {
                    if (pending is null)
                    {
                        writing = null;
                        return;
                    }

                    snapshot = pending;
                    batch = [.. lines];
                    pending = null;
                    lines.Clear();
                }

                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        // After the first write (which reads the timeline the apply worker wrote), this recorder is the
                        // record's only writer: it keeps the timeline and writes without reading.
                        timeline = await tracker.WriteAsync(requestId, snapshot, batch, timeline);
                        break;
                    }
                    catch (Exception e) when (attempt < 3)
                    {
                        tracker.Logger.LogWarning(e, "Recording the rollout of request {RequestId} failed; trying again", requestId);
                    }
                    catch (Exception e)
                    {
                        tracker.Logger.LogError(e, "Recording the rollout of request {RequestId} failed", requestId);
                        break;
                    }
                }
            }
        }
    }
}
