using System.Text.Json;
using System.Text.Json.Serialization;
using Portal.Rollouts;

namespace Portal.Tests.Rollouts;

/// <summary>The hub's change messages (<c>FollowRollout</c>): a client that applies them holds the same snapshot the hub's full stream sends.</summary>
public sealed class RolloutChangeTests
{
    private static readonly JsonSerializerOptions HubOptions = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static readonly JsonSerializerOptions PlainWeb = new(JsonSerializerDefaults.Web);
    private static readonly DateTimeOffset Start = DateTimeOffset.UnixEpoch.AddDays(20000);

    [Fact]
    public void ClientRebuildingFromChangesSeesEverySnapshotOfARollout()
    {
        var snapshots = Rollout().ToList();
        RolloutSnapshot? sent = null;
        RolloutSnapshot? rebuilt = null;

        foreach (var snapshot in snapshots)
        {
            var wire = JsonSerializer.Serialize(HubChange.Of(sent, snapshot), HubOptions);
            rebuilt = JsonSerializer.Deserialize<RolloutChange>(wire, PlainWeb)!.ApplyTo(rebuilt);
            sent = snapshot;

            Assert.Equal(JsonSerializer.Serialize(snapshot, HubOptions), JsonSerializer.Serialize(rebuilt, HubOptions));
        }

        Assert.Equal(12, snapshots.Count);
    }

    [Fact]
    public void RandomListChangesRebuildTheSameLists()
    {
        var random = new Random(9);
        IReadOnlyList<EventLine> previous = [];
        var next = 0;
        for (var step = 0; step < 2000; step++)
        {
            var lines = previous.ToList();
            switch (random.Next(5))
            {
                case 0:
                    lines.Insert(0, Line(next++));
                    break;
                case 1 when lines.Count > 0:
                    lines.RemoveAt(random.Next(lines.Count));
                    break;
                case 2 when lines.Count > 0:
                    var moved = random.Next(lines.Count);
                    var counted = lines[moved] with { Count = lines[moved].Count + 1 };
                    lines.RemoveAt(moved);
                    lines.Insert(0, counted);
                    break;
                case 3:
                    lines = [.. Enumerable.Range(0, random.Next(4)).Select(_ => Line(next++)), .. lines];
                    break;
                default:
                    break;
            }

            IReadOnlyList<EventLine> current = [.. lines.Take(15)];
            var change = ListChange<EventLine>.Between(previous, current);

            Assert.Equal(current, ListChange<EventLine>.Apply(change, previous));
            Assert.Equal(current.SequenceEqual(previous), change is null);
            previous = current;
        }
    }

    [Fact]
    public void UnchangedListsAreLeftOutAndANewEventIsSentAlone()
    {
        var snapshots = Rollout().ToList();
        var before = snapshots[10];
        var after = before with
        {
            Ready = before.Ready + 1,
            Events = [Line(99), .. before.Events.Take(14)],
            At = before.At.AddSeconds(1),
        };

        var full = JsonSerializer.Serialize(before, HubOptions);
        var wire = JsonSerializer.Serialize(HubChange.Of(before, after), HubOptions);
        var message = JsonDocument.Parse(wire).RootElement;

        Assert.False(message.TryGetProperty("pods", out _));
        Assert.False(message.TryGetProperty("replicaSets", out _));
        Assert.Equal(1, message.GetProperty("events").GetProperty("add").GetArrayLength());
        Assert.Equal(before.Events.Count, message.GetProperty("events").GetProperty("keep").GetInt32());
        Assert.True(before.Events.Count >= 8);
        Assert.True(wire.Length * 3 < full.Length, $"a change of one event took {wire.Length} bytes against {full.Length} for the snapshot");
    }

    [Fact]
    public void ChangeIsSerializedOnceForEveryViewerThatWasSentTheSameLists()
    {
        var snapshots = Rollout().ToList();
        var (previous, current) = (snapshots[5], snapshots[6]);
        // Each viewer's first message was its own "not applied yet" snapshot: equal lists, distinct objects.
        var waitingA = RolloutSnapshot.Waiting(1, "Not applied yet", Start);
        var waitingB = RolloutSnapshot.Waiting(1, "Not applied yet", Start.AddMilliseconds(3));

        Assert.Same(HubChange.Of(previous, current), HubChange.Of(previous, current));
        Assert.Same(HubChange.Of(previous, current).Json(HubOptions), HubChange.Of(previous with { Message = "other" }, current).Json(HubOptions));
        Assert.Same(HubChange.Of(null, current), HubChange.Of(null, current));
        Assert.Same(HubChange.Of(waitingA, snapshots[0]), HubChange.Of(waitingB, snapshots[0]));
        Assert.NotSame(HubChange.Of(previous, current), HubChange.Of(snapshots[2], current));
    }

    [Fact]
    public void ChangeThatKeepsLinesTheClientDoesNotHaveIsRefused()
    {
        var before = Rollout().ToList()[10];
        var change = RolloutChange.Between(before, before with { Events = [Line(99), .. before.Events] });

        var refused = Assert.Throws<InvalidOperationException>(() => change.ApplyTo(null));

        Assert.Contains("a message was missed", refused.Message);
    }

    private static EventLine Line(int n) => new(Start.AddSeconds(n), "Normal", "Started", $"pod/api-new-{n % 5}", $"Started container api ({n})", 1);

    /// <summary>A 3-replica rollout as the tracker would publish it: pods replaced one by one, events newest first, capped at 15.</summary>
    private static IEnumerable<RolloutSnapshot> Rollout()
    {
        var events = new List<EventLine>();
        var oldPods = Enumerable.Range(0, 3).Select(i => new PodState($"api-old-{i}", false, "Running", null, 0, true, "node-1")).ToList();
        var newPods = new List<PodState>();
        var n = 0;
        for (var ready = 0; ready <= 3; ready++)
        {
            for (var stage = 0; stage < 3; stage++)
            {
                if (stage == 0 && ready < 3)
                {
                    newPods.Add(new PodState($"api-new-{ready}", true, "Pending", "ContainerCreating", 0, false, null));
                    events.Insert(0, new EventLine(Start.AddSeconds(n), "Normal", "Scheduled", $"pod/api-new-{ready}", "Successfully assigned", 1));
                }
                else if (stage == 1 && ready < 3)
                {
                    newPods[ready] = newPods[ready] with { Phase = "Running", Reason = null, Node = "node-2" };
                    events.Insert(0, new EventLine(Start.AddSeconds(n), "Normal", "Pulled", $"pod/api-new-{ready}", "Image pulled", 1));
                    events.Insert(0, new EventLine(Start.AddSeconds(n), "Normal", "Started", $"pod/api-new-{ready}", "Started container", 1));
                }
                else if (stage == 2 && ready < 3)
                {
                    newPods[ready] = newPods[ready] with { Ready = true };
                    oldPods.RemoveAt(0);
                    var scaled = events.FindIndex(e => e.Reason == "ScalingReplicaSet");
                    if (scaled >= 0)
                    {
                        var again = events[scaled] with { Count = events[scaled].Count + 1, At = Start.AddSeconds(n) };
                        events.RemoveAt(scaled);
                        events.Insert(0, again);
                    }
                    else
                    {
                        events.Insert(0, new EventLine(Start.AddSeconds(n), "Normal", "ScalingReplicaSet", "deployment/api", "Scaled down", 1));
                    }
                }

                n++;
                var updated = newPods.Count;
                var readyNew = newPods.Count(p => p.Ready);
                yield return new RolloutSnapshot(
                    1,
                    ready == 3 && stage == 2 ? RolloutPhase.Succeeded : RolloutPhase.Progressing,
                    $"Waiting for deployment \"api\" rollout to finish: {readyNew} of 3 updated replicas are available...",
                    null,
                    3,
                    updated,
                    readyNew + oldPods.Count,
                    readyNew + oldPods.Count,
                    [new ReplicaSetState("api-new", "2", true, updated, readyNew, readyNew), new ReplicaSetState("api-old", "1", false, oldPods.Count, oldPods.Count, oldPods.Count)],
                    [.. newPods, .. oldPods],
                    [.. events.Take(15)],
                    TimeSpan.FromSeconds(n),
                    TimeSpan.FromMinutes(10),
                    Start.AddSeconds(n))
                {
                    StartedAt = Start,
                    Blocked = n % 7 == 3 ? BlockingKind.NeverReady : null,
                };
            }
        }
    }
}
