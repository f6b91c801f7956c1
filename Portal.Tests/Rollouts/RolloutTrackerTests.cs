using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portal.Requests;
using Portal.Rollouts;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Rollouts;

/// <summary>The tracker judged from the outside: what it publishes, what it stores at the end, whom it tells.</summary>
public sealed class RolloutTrackerTests
{
    [Fact]
    public async Task TrackerPublishesNothingWhileNothingChanges()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await PortalApp.StartAsync(clock, ("Environments:0:Name", "staging"), ("Environments:0:ProgressDeadlineSeconds", "3600"));
        var alice = await app.ClientAsync("alice");
        var notifier = app.Get<RolloutNotifier>();
        // Its pods run but never become ready: the rollout stays in progress with nothing changing.
        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1-unready", replicas = 1 })).SubmittedIdAsync();
        await UntilAsync(() => notifier.Latest(id) is { Phase: RolloutPhase.Progressing, Pods: [{ Phase: "Running", Ready: false }] });
        var published = 0;
        using var subscription = notifier.Subscribe(id, _ =>
        {
            Interlocked.Increment(ref published);
            return Task.CompletedTask;
        });
        await QuietAsync(() => Volatile.Read(ref published));
        Interlocked.Exchange(ref published, 0);

        for (var second = 0; second < 60; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        await QuietAsync(() => Volatile.Read(ref published));
        Assert.Equal(0, Volatile.Read(ref published));
        Assert.Equal(RequestState.RollingOut, await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync()));
    }

    [Fact]
    public async Task StoredFinalSnapshotShowsEveryPodReadyInFiftyRollouts()
    {
        // Pod and ReplicaSet updates come on watches of their own and can arrive after the Deployment's final one.
        await using var app = await PortalApp.StartAsync(("Sandbox:Speed", "50"));
        var alice = await app.ClientAsync("alice");
        var services = await Task.WhenAll(Enumerable.Range(1, 5).Select(i => app.RegisterServiceAsync($"race-{i}")));

        var stored = await Task.WhenAll(services.Select(async service =>
        {
            var snapshots = new List<RolloutSnapshot>();
            for (var round = 1; round <= 10; round++)
            {
                var id = await (await alice.SubmitAsync("payments", service.Name, "staging", new { imageTag = $"v{round}", replicas = 3 })).SubmittedIdAsync();
                await app.WaitForStateAsync(id, RequestState.Succeeded, TimeSpan.FromSeconds(60));
                snapshots.Add(await app.WithDbAsync(db => db.RolloutRecords.Where(r => r.RequestId == id).Select(r => r.LastSnapshot!).SingleAsync()));
            }

            return snapshots;
        }));

        var all = stored.SelectMany(s => s).ToList();
        Assert.Equal(50, all.Count);
        Assert.All(all, snapshot =>
        {
            Assert.Equal(RolloutPhase.Succeeded, snapshot.Phase);
            var newSet = Assert.Single(snapshot.ReplicaSets, rs => rs.IsNew);
            Assert.Equal((3, 3, 3), (newSet.Desired, newSet.Ready, newSet.Available));
            var newPods = snapshot.Pods.Where(p => p.IsNew).ToList();
            Assert.Equal(3, newPods.Count);
            Assert.All(newPods, pod => Assert.True(pod.Ready, $"request {snapshot.RequestId}: pod {pod.Name} is {pod.Phase}, not ready"));
            Assert.All(snapshot.ReplicaSets.Where(rs => !rs.IsNew), rs => Assert.Equal(0, rs.Desired));
        });
    }

    [Fact]
    public async Task EveryObserverOfAFinishedRolloutIsAwaitedInTurnEvenAfterOneFails()
    {
        await using var app = await PortalApp.StartAsync();
        var tracker = app.Get<RolloutTracker>();
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v-observed", replicas = 1 })).SubmittedIdAsync();
        var firstDone = false;
        bool? secondSawFirstDone = null;
        var secondCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var first = tracker.WhenFinished(async (requestId, _) =>
        {
            if (requestId == id)
            {
                await Task.Delay(200);
                firstDone = true;
            }
        });
        using var failing = tracker.WhenFinished((requestId, _) => requestId == id ? throw new InvalidOperationException("an observer's own bug") : Task.CompletedTask);
        using var second = tracker.WhenFinished((requestId, _) =>
        {
            if (requestId == id)
            {
                secondSawFirstDone = firstDone;
                secondCalled.TrySetResult();
            }

            return Task.CompletedTask;
        });

        await app.WaitForStateAsync(id, RequestState.Succeeded);
        await secondCalled.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(secondSawFirstDone, "the second observer ran before the first one had finished");
    }

    [Fact]
    public async Task FinishedRolloutLeavesMemoryWithItsLastViewerAndIsReadFromItsRecord()
    {
        await using var app = await PortalApp.StartAsync();
        var notifier = app.Get<RolloutNotifier>();
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", "payments-api", "staging", new { imageTag = "v1-slow", replicas = 1 })).SubmittedIdAsync();
        var viewer = notifier.Subscribe(id, _ => Task.CompletedTask);

        await app.WaitForStateAsync(id, RequestState.Succeeded, TimeSpan.FromSeconds(60));
        await UntilAsync(() => notifier.Latest(id) is { Phase: RolloutPhase.Succeeded });
        viewer.Dispose();

        Assert.Null(notifier.Latest(id));
        await using var scope = app.Services.CreateAsyncScope();
        var latest = await scope.ServiceProvider.GetRequiredService<RolloutStreams>().LatestAsync(id, CancellationToken.None);
        Assert.Equal(RolloutPhase.Succeeded, latest!.Phase);
    }

    private static async Task UntilAsync(Func<bool> condition, int seconds = 60)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(seconds), "The condition did not hold in time.");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until <paramref name="count"/> has not moved for a while (real time: the cluster goes on meanwhile).</summary>
    private static async Task QuietAsync(Func<int> count)
    {
        var clock = Stopwatch.StartNew();
        var last = count();
        var since = Stopwatch.StartNew();
        while (since.Elapsed < TimeSpan.FromSeconds(2))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "Snapshots kept coming.");
            await Task.Delay(50);
            if (count() != last)
            {
                last = count();
                since.Restart();
            }
        }
    }
}
