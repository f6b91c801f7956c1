using System.Text.Json;
using System.Text.Json.Serialization;
using Portal.Rollouts;

namespace Portal.Tests.Rollouts;

/// <summary>The hub's message: one serialization per snapshot for all its viewers, the same JSON as the snapshot's own.</summary>
public sealed class HubSnapshotTests
{
    private static readonly JsonSerializerOptions HubOptions = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private static readonly RolloutSnapshot Snapshot = new(
        7,
        RolloutPhase.Progressing,
        "Waiting for deployment \"api\" rollout to finish: 1 of 3 updated replicas are available...",
        "crash-looping: 3 restarts in 40 s, last exit Error",
        3,
        1,
        1,
        1,
        [new ReplicaSetState("api-7d4b", "2", true, 3, 1, 1)],
        [new PodState("api-7d4b-x1", true, "Running", "CrashLoopBackOff", 3, false, "node-1")],
        [new EventLine(DateTimeOffset.UnixEpoch, "Warning", "BackOff", "pod/api-7d4b-x1", "Back-off restarting failed container", 3)],
        TimeSpan.FromSeconds(40),
        TimeSpan.FromMinutes(10),
        DateTimeOffset.UnixEpoch.AddSeconds(40))
    {
        StartedAt = DateTimeOffset.UnixEpoch,
        Blocked = BlockingKind.CrashLoop,
    };

    [Fact]
    public void HubMessageIsTheSnapshotsOwnJsonWithEnumsAsWords()
    {
        var message = JsonSerializer.Serialize(new { item = HubSnapshot.Of(Snapshot) }, HubOptions);

        Assert.Equal($"{{\"item\":{JsonSerializer.Serialize(Snapshot, HubOptions)}}}", message);
        Assert.Contains("\"phase\":\"Progressing\"", message);
        Assert.Contains("\"blocked\":\"CrashLoop\"", message);
        var read = JsonSerializer.Deserialize<RolloutSnapshot>(JsonDocument.Parse(message).RootElement.GetProperty("item"), HubOptions)!;
        Assert.True(RolloutTracker.SameState(Snapshot, read));
    }

    [Fact]
    public void ClientWithPlainWebJsonSettingsReadsAStuckSnapshotFromTheHub()
    {
        // The CLI's settings: Web defaults, no enum converter of its own.
        var message = JsonSerializer.Serialize(HubSnapshot.Of(Snapshot), HubOptions);

        var read = JsonSerializer.Deserialize<RolloutSnapshot>(message, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        Assert.Equal((RolloutPhase.Progressing, BlockingKind.CrashLoop), (read.Phase, read.Blocked));
    }

    [Fact]
    public void SnapshotIsSerializedOnceForEveryViewer()
    {
        var first = HubSnapshot.Of(Snapshot);
        var bytes = first.Json(HubOptions);

        Assert.Same(first, HubSnapshot.Of(Snapshot));
        Assert.Same(bytes, HubSnapshot.Of(Snapshot).Json(HubOptions));
        Assert.NotSame(first, HubSnapshot.Of(Snapshot with { Ready = 2 }));
    }
}
