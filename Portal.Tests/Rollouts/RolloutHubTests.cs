using System.Net.Http.Headers;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Cluster;
using Portal.Identity;
using Portal.Requests;
using Portal.Rollouts;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;
using Sandbox.Store;

namespace Portal.Tests.Rollouts;

public sealed class RolloutHubTests(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task HundredHubSubscribersShareOneWatchPerKindAndAllSeeTheEnd()
    {
        var service = await app.RegisterServiceAsync("hub-hundred");
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var token = await TokenAsync("alice");
        // Production waits for bob: every viewer is connected before anything is applied.
        var id = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v100-slow", replicas = 2 })).SubmittedIdAsync();
        var connections = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => ConnectAsync(token)));
        try
        {
            var firstSeen = connections.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
            var streams = connections.Select((connection, i) => Task.Run(async () =>
            {
                var snapshots = new List<RolloutSnapshot>();
                await foreach (var snapshot in connection.StreamAsync<RolloutSnapshot>("WatchRollout", id))
                {
                    snapshots.Add(snapshot);
                    firstSeen[i].TrySetResult();
                }

                return snapshots;
            })).ToArray();
            await Task.WhenAll(firstSeen.Select(f => f.Task)).WaitAsync(TimeSpan.FromSeconds(30));
            await bob.DecideAsync(id, "approve");
            await app.WaitForStateAsync(id, RequestState.RollingOut);

            var store = Cluster().Store;
            (int, int, int, int) Watching() => (store.OpenWatchCountFor(ResourceTypes.Deployments), store.OpenWatchCountFor(ResourceTypes.Pods), store.OpenWatchCountFor(ResourceTypes.ReplicaSets), store.OpenWatchCountFor(ResourceTypes.Events));
            // The tracker opens its watches just after the apply; give them a moment to be established.
            await Poll.UntilAsync(() => Watching() is var (d, p, r, e) && Math.Min(Math.Min(d, p), Math.Min(r, e)) > 0, TimeSpan.FromSeconds(5), failOnTimeout: false, every: TimeSpan.FromMilliseconds(10));

            var watching = Watching();
            var stillRollingOut = await app.WithDbAsync(db => db.DeploymentRequests.Where(r => r.Id == id).Select(r => r.State).SingleAsync()) == RequestState.RollingOut;
            var all = await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(stillRollingOut, "the rollout ended before the watches were counted");
            Assert.Equal((1, 1, 1, 1), watching);
            Assert.All(all, snapshots => Assert.Equal(RolloutPhase.Succeeded, snapshots[^1].Phase));
        }
        finally
        {
            await Task.WhenAll(connections.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task ViewerFollowingChangesRebuildsEverySnapshotTheWholeStreamSends()
    {
        var service = await app.RegisterServiceAsync("hub-changes");
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var token = await TokenAsync("alice");
        var id = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v-changes-slow", replicas = 3 })).SubmittedIdAsync();
        await using var whole = await ConnectAsync(token);
        // The changes are read as MessagePack, the whole stream as JSON.
        await using var changes = await ConnectAsync(token, messagePack: true);
        var firstSeen = new[] { new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var wholeStream = Task.Run(async () =>
        {
            var snapshots = new List<RolloutSnapshot>();
            await foreach (var snapshot in whole.StreamAsync<RolloutSnapshot>("WatchRollout", id))
            {
                snapshots.Add(snapshot);
                firstSeen[0].TrySetResult();
            }

            return snapshots;
        });
        var changeStream = Task.Run(async () =>
        {
            var snapshots = new List<RolloutSnapshot>();
            RolloutSnapshot? rebuilt = null;
            await foreach (var change in changes.StreamAsync<RolloutChange>("FollowRollout", id))
            {
                rebuilt = change.ApplyTo(rebuilt);
                snapshots.Add(rebuilt);
                firstSeen[1].TrySetResult();
            }

            return snapshots;
        });
        await Task.WhenAll(firstSeen.Select(f => f.Task)).WaitAsync(TimeSpan.FromSeconds(30));
        await bob.DecideAsync(id, "approve");

        var sent = await wholeStream.WaitAsync(TimeSpan.FromSeconds(60));
        var rebuilt = await changeStream.WaitAsync(TimeSpan.FromSeconds(60));

        // Each stream starts with its own "not applied yet"; from the approval on, both carry the same snapshots.
        static List<string> Json(List<RolloutSnapshot> snapshots) => [.. snapshots.Skip(1).Select(s => System.Text.Json.JsonSerializer.Serialize(s))];
        Assert.Equal(Json(sent), Json(rebuilt));
        Assert.True(rebuilt.Count > 3, $"only {rebuilt.Count} snapshots");
        Assert.Equal(RolloutPhase.Succeeded, rebuilt[^1].Phase);
        Assert.Equal(3, rebuilt[^1].Pods.Count(p => p.IsNew && p.Ready));
        Assert.NotEmpty(rebuilt[^1].Events);
    }

    [Fact]
    public async Task ViewerJoiningARolloutOverMessagePackRebuildsEverySnapshotTheWholeJsonStreamSends()
    {
        var service = await app.RegisterServiceAsync("hub-join");
        var alice = await app.ClientAsync("alice");
        var bob = await app.ClientAsync("bob");
        var token = await TokenAsync("alice");
        var id = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v-join-slow", replicas = 3 })).SubmittedIdAsync();
        await using var whole = await ConnectAsync(token);
        // The joined viewer reads MessagePack; the whole stream is JSON: both carry the same snapshots.
        await using var joined = await ConnectAsync(token, messagePack: true);
        var firstSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var wholeStream = Task.Run(async () =>
        {
            var snapshots = new List<RolloutSnapshot>();
            await foreach (var snapshot in whole.StreamAsync<RolloutSnapshot>("WatchRollout", id))
            {
                snapshots.Add(snapshot);
                firstSeen.TrySetResult();
            }

            return snapshots;
        });
        var follower = new Follower(id);
        using var handler = joined.On<RolloutChange>(RolloutRooms.ClientMethod, follower.Take);
        await joined.InvokeAsync("JoinRollout", id);
        await firstSeen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // The first message (the whole "not applied yet") is written before the join returns; handlers run on their own loop.
        await Poll.UntilAsync(() => follower.Rebuilt.Count == 1, TimeSpan.FromSeconds(10), "the joined viewer was not sent the latest snapshot");
        await bob.DecideAsync(id, "approve");

        var sent = await wholeStream.WaitAsync(TimeSpan.FromSeconds(60));
        var rebuilt = await follower.Ended.WaitAsync(TimeSpan.FromSeconds(60));

        // Each starts with its own "not applied yet"; from the approval on, both carry the same snapshots in the same order.
        static List<string> Json(List<RolloutSnapshot> snapshots) => [.. snapshots.Skip(1).Select(s => System.Text.Json.JsonSerializer.Serialize(s))];
        Assert.Equal(Json(sent), Json(rebuilt));
        Assert.True(rebuilt.Count > 3, $"only {rebuilt.Count} snapshots");
        Assert.Equal(RolloutPhase.Succeeded, rebuilt[^1].Phase);
        Assert.Equal(3, rebuilt[^1].Pods.Count(p => p.IsNew && p.Ready));
        // The room is gone with the rollout: nothing is held for it.
        await Poll.UntilAsync(() => app.Get<RolloutRooms>().Count == 0, TimeSpan.FromSeconds(10), "the finished rollout's room stayed");
    }

    [Fact]
    public async Task ViewersJoiningWhileSnapshotsArePublishedEachHoldExactlyThePublishedSnapshotsInJsonAndMessagePack()
    {
        var service = await app.RegisterServiceAsync("hub-join-race");
        var alice = await app.ClientAsync("alice");
        var token = await TokenAsync("alice");
        // Waiting for an approval: nothing is applied, so only the snapshots published here go out.
        var id = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v-join-race", replicas = 2 })).SubmittedIdAsync();
        // Half the viewers read JSON, half MessagePack.
        var connections = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => ConnectAsync(token, messagePack: i % 2 == 1)));
        var notifier = app.Get<RolloutNotifier>();
        var published = new System.Collections.Concurrent.ConcurrentDictionary<DateTimeOffset, string>();
        try
        {
            var followers = connections.Select(_ => new Follower(id)).ToArray();
            var handlers = connections.Select((c, i) => c.On<RolloutChange>(RolloutRooms.ClientMethod, followers[i].Take)).ToArray();
            var at = DateTimeOffset.MinValue;
            // Joins land before and during the burst of publishes.
            var joins = connections.Select(async (c, i) =>
            {
                await Task.Delay(i * 3);
                await c.InvokeAsync("JoinRollout", id);
            }).ToArray();
            var publishing = Task.Run(async () =>
            {
                for (var i = 1; i <= 300; i++)
                {
                    if (i == 300)
                    {
                        // The last one waits for every join: these snapshots are not written to the record, so a viewer
                        // joining after the end would read the request's "not applied yet" from there, not this end.
                        await Task.WhenAll(joins);
                    }

                    // Taken when published, as the tracker does (a join's "not applied yet" is dated when it is read).
                    at = DateTimeOffset.UtcNow > at ? DateTimeOffset.UtcNow : at.AddTicks(1);
                    var snapshot = Synthetic(id, i, at, final: i == 300);
                    published[snapshot.At] = System.Text.Json.JsonSerializer.Serialize(snapshot);
                    await notifier.PublishAsync(snapshot);
                    if (i % 10 == 0)
                    {
                        await Task.Yield();
                    }
                }
            });
            await publishing.WaitAsync(TimeSpan.FromSeconds(30));
            await Task.WhenAll(joins).WaitAsync(TimeSpan.FromSeconds(30));
            var rebuilt = await Task.WhenAll(followers.Select(f => f.Ended)).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.All(rebuilt, snapshots =>
            {
                // Only the first may be the "not applied yet" read at the join; every later one is exactly one published
                // snapshot, newer than the one before.
                var first = snapshots[0].Message.StartsWith("Not applied yet", StringComparison.Ordinal) ? 1 : 0;
                Assert.All(snapshots.Skip(first), s => Assert.Equal(published[s.At], System.Text.Json.JsonSerializer.Serialize(s)));
                Assert.True(snapshots.Zip(snapshots.Skip(1)).All(p => p.First.At < p.Second.At), "a snapshot came twice or out of order");
                Assert.Equal(published[at], System.Text.Json.JsonSerializer.Serialize(snapshots[^1]));
            });
            Array.ForEach(handlers, h => h.Dispose());
        }
        finally
        {
            await Task.WhenAll(connections.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task ViewerThatLeavesARolloutIsSentNothingMoreWhileOthersCarryOn()
    {
        var service = await app.RegisterServiceAsync("hub-leave");
        var alice = await app.ClientAsync("alice");
        var token = await TokenAsync("alice");
        var id = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v-leave", replicas = 2 })).SubmittedIdAsync();
        await using var staying = await ConnectAsync(token);
        await using var leaving = await ConnectAsync(token, messagePack: true);
        var stays = new Follower(id);
        var leaves = new Follower(id);
        using var stayHandler = staying.On<RolloutChange>(RolloutRooms.ClientMethod, stays.Take);
        using var leaveHandler = leaving.On<RolloutChange>(RolloutRooms.ClientMethod, leaves.Take);
        await staying.InvokeAsync("JoinRollout", id);
        // Joining twice keeps one membership: the second join sends the whole snapshot again, nothing more.
        await leaving.InvokeAsync("JoinRollout", id);
        await leaving.InvokeAsync("JoinRollout", id);
        var notifier = app.Get<RolloutNotifier>();
        await notifier.PublishAsync(Synthetic(id, 1, DateTimeOffset.UtcNow, final: false));
        await Poll.UntilAsync(() => leaves.Rebuilt.Count == 3, TimeSpan.FromSeconds(10), "the joined viewer did not get the first change");

        await leaving.InvokeAsync("LeaveRollout", id);
        for (var i = 2; i <= 5; i++)
        {
            await notifier.PublishAsync(Synthetic(id, i, DateTimeOffset.UtcNow, final: i == 5));
        }

        var stayed = await stays.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        // Joining again sends the whole latest snapshot, after anything sent to the leaver meanwhile (one connection keeps
        // its order): the message after "state 1" is that whole one, not "state 2".
        await leaving.InvokeAsync("JoinRollout", id);
        await Poll.UntilAsync(() => leaves.Rebuilt.Count >= 4, TimeSpan.FromSeconds(10), "the second join sent nothing");
        Assert.Equal(6, stayed.Count);
        Assert.Equal("state 1", leaves.Rebuilt[2].Message);
        Assert.NotEqual("state 2", leaves.Rebuilt[3].Message);
    }

    /// <summary>Snapshot <paramref name="i"/> of a made-up rollout: a new event each time, a pod that changes every third.</summary>
    [Fact]
    public async Task AViewerThatStopsReadingIsClosedAndDoesNotHoldBackTheOthers()
    {
        var service = await app.RegisterServiceAsync("hub-stuck");
        var alice = await app.ClientAsync("alice");
        var token = await TokenAsync("alice");
        var id = await (await alice.SubmitAsync("payments", service.Name, "production", new { imageTag = "v-stuck", replicas = 2 })).SubmittedIdAsync();
        await using var reading = await ConnectAsync(token);
        var follower = new Follower(id);
        using var handler = reading.On<RolloutChange>(RolloutRooms.ClientMethod, follower.Take);
        await reading.InvokeAsync("JoinRollout", id);

        // A viewer that joins and then never reads again (a laptop whose network stalled), with a small receive buffer.
        using var stalled = new System.Net.WebSockets.ClientWebSocket();
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        });
        var hub = new UriBuilder(new Uri(app.BaseAddress, "/hubs/rollouts")) { Scheme = "ws", Query = "access_token=" + Uri.EscapeDataString(token) }.Uri;
        await stalled.ConnectAsync(hub, invoker, CancellationToken.None);
        const char end = '\u001e';
        await stalled.SendAsync(System.Text.Encoding.UTF8.GetBytes($"{{\"protocol\":\"json\",\"version\":1}}{end}{{\"type\":1,\"target\":\"JoinRollout\",\"arguments\":[{id}]}}{end}"), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
        await Poll.UntilAsync(() => follower.Rebuilt.Count >= 1, TimeSpan.FromSeconds(10), "the reading viewer got nothing");
        await Task.Delay(500);

        // Far more than the stalled viewer's buffers hold (32 KB per message, about 13 MB in all), then the end.
        var notifier = app.Get<RolloutNotifier>();
        var start = DateTimeOffset.UtcNow;
        var publishing = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 1; i <= 400; i++)
        {
            await notifier.PublishAsync(Synthetic(id, i, start.AddMilliseconds(i), final: false) with { Message = $"state {i} " + new string('x', 32_000) });
        }

        await notifier.PublishAsync(Synthetic(id, 401, start.AddMilliseconds(401), final: true));
        var seen = await follower.Ended.WaitAsync(TimeSpan.FromSeconds(30));
        // Kestrel itself closes a connection that takes less than 240 bytes/s after 5 s, so a room that waited for the
        // stalled viewer held the reading one 5-10 s (10.5 s measured); closed after 1 s, the end came after 1.3 s here.
        Assert.True(publishing.Elapsed < TimeSpan.FromSeconds(6), $"the reading viewer got the end {publishing.Elapsed.TotalSeconds:F1} s after the first of the 400 changes");
        Assert.Equal(402, seen.Count);
        Assert.Equal("state 401", seen[^1].Message);

        // The stalled viewer was closed: reading now, it finds what was buffered, then the end of the connection.
        var buffer = new byte[64 * 1024];
        var closed = false;
        var draining = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (draining.Elapsed < TimeSpan.FromSeconds(20))
            {
                var result = await stalled.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
                if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    closed = true;
                    break;
                }
            }
        }
        catch (System.Net.WebSockets.WebSocketException)
        {
            closed = true;
        }

        Assert.True(closed, "the stalled viewer's connection is still open");
    }

    private static RolloutSnapshot Synthetic(int id, int i, DateTimeOffset at, bool final)
    {
        var events = Enumerable.Range(0, Math.Min(i, 20)).Select(e => new EventLine(at, "Normal", "Scaled", "deploy/x", $"event {i - e}", 1)).ToArray();
        var pods = Enumerable.Range(0, 3).Select(p => new PodState($"x-{p}", true, "Running", null, p == 0 ? i / 3 : 0, p != 1 || i % 2 == 0, null)).ToArray();
        return RolloutSnapshot.Waiting(id, "", at) with
        {
            Phase = final ? RolloutPhase.Succeeded : RolloutPhase.Progressing,
            Message = $"state {i}",
            Desired = 3,
            Ready = i % 4,
            Pods = pods,
            Events = events,
        };
    }

    /// <summary>A hub client following one rollout with <c>JoinRollout</c>: rebuilds each snapshot from the changes it is sent.</summary>
    private sealed class Follower(int id)
    {
        private readonly TaskCompletionSource<List<RolloutSnapshot>> ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<RolloutSnapshot> Rebuilt { get; } = [];

        public Task<List<RolloutSnapshot>> Ended => ended.Task;

        public void Take(RolloutChange change)
        {
            if (change.RequestId != id)
            {
                return;
            }

            try
            {
                Rebuilt.Add(change.ApplyTo(Rebuilt.LastOrDefault()));
                if (Rebuilt[^1].IsFinal)
                {
                    ended.TrySetResult(Rebuilt);
                }
            }
            catch (Exception e)
            {
                ended.TrySetException(e);
            }
        }
    }

    [Fact]
    public async Task HubRefusesAnotherTeamsRolloutAndAnonymousCallers()
    {
        var service = await app.RegisterServiceAsync("hub-denied");
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", service.Name, "staging", new { imageTag = "v-hub-denied", replicas = 1 })).SubmittedIdAsync();
        await using var dave = await ConnectAsync(await TokenAsync("dave"));
        var anonymous = new HubConnectionBuilder().WithUrl(new Uri(app.BaseAddress, "/hubs/rollouts")).Build();

        var refused = await Assert.ThrowsAsync<HubException>(async () =>
        {
            await foreach (var _ in dave.StreamAsync<RolloutSnapshot>("WatchRollout", id))
            {
            }
        });
        var unauthenticated = await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.StartAsync());

        Assert.Contains("team you are not a member of", refused.Message);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    [Fact]
    public async Task FinishedRolloutStreamsItsStoredFinalSnapshotAndEnds()
    {
        var service = await app.RegisterServiceAsync("hub-done");
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", service.Name, "staging", new { imageTag = "v-done", replicas = 1 })).SubmittedIdAsync();
        await app.WaitForStateAsync(id, RequestState.Succeeded);
        // Nobody watched it: its final snapshot is no longer held in memory, so the stream reads it from the record.
        Assert.Null(app.Get<RolloutNotifier>().Latest(id));
        var token = await TokenAsync("alice");
        await using var connection = await ConnectAsync(token);
        await using var messagePack = await ConnectAsync(token, messagePack: true);

        var snapshots = new List<RolloutSnapshot>();
        await foreach (var snapshot in connection.StreamAsync<RolloutSnapshot>("WatchRollout", id))
        {
            snapshots.Add(snapshot);
        }

        var read = new List<RolloutSnapshot>();
        await foreach (var snapshot in messagePack.StreamAsync<RolloutSnapshot>("WatchRollout", id))
        {
            read.Add(snapshot);
        }

        Assert.Equal(RolloutPhase.Succeeded, Assert.Single(snapshots).Phase);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(snapshots), System.Text.Json.JsonSerializer.Serialize(read));
    }

    [Fact]
    public async Task KubectlShowsWhatThePortalApplied()
    {
        var service = await app.RegisterServiceAsync("kubectl-view");
        var alice = await app.ClientAsync("alice");
        var id = await (await alice.SubmitAsync("payments", service.Name, "staging", new
        {
            imageTag = "v-kubectl",
            autoscaling = new { minReplicas = 1, maxReplicas = 3 },
            setSecrets = new Dictionary<string, string> { ["API_KEY"] = "kubectl-secret-value" },
        })).SubmittedIdAsync();
        await app.WaitForStateAsync(id, RequestState.Succeeded);

        var output = app.Kubectl("get deploy,svc,hpa,secret -n payments-staging -o name");
        var managedBy = app.Kubectl("get deploy kubectl-view -n payments-staging -o jsonpath={.metadata.labels.app\\.kubernetes\\.io/managed-by}");
        var requestId = app.Kubectl("get deploy kubectl-view -n payments-staging -o jsonpath={.metadata.annotations.selfservice\\.portal/request-id}");

        Assert.Contains("deployment.apps/kubectl-view", output);
        Assert.Contains("service/kubectl-view", output);
        Assert.Contains("horizontalpodautoscaler.autoscaling/kubectl-view", output);
        Assert.Contains("secret/kubectl-view-secrets", output);
        Assert.Equal("selfservice-portal", managedBy);
        Assert.Equal(id.ToString(), requestId);
    }

    private SandboxHostView Cluster() => new(app.Services.GetRequiredService<EmbeddedSandbox>().Host!);

    private async Task<string> TokenAsync(string user) =>
        (await app.Get<PersonalAccessTokens>().CreateAsync(await app.PrincipalAsync(user), "hub", 1)).Value!.Secret;

    private async Task<HubConnection> ConnectAsync(string token, bool messagePack = false)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(app.BaseAddress, "/hubs/rollouts"), options => options.Headers["Authorization"] = new AuthenticationHeaderValue("Bearer", token).ToString());
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }

        var connection = builder.Build();
        await connection.StartAsync();
        return connection;
    }

    private sealed record SandboxHostView(Sandbox.SandboxHost Host)
    {
        public ClusterStore Store => Host.Store;
    }
}
