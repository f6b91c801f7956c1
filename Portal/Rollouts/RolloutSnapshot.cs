using System.Text.Json.Serialization;

namespace Portal.Rollouts;

/// <summary>Where a rollout is; a word in the API and on the hub (<c>"phase": "Succeeded"</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RolloutPhase>))]
public enum RolloutPhase
{
    /// <summary>Waiting to be applied, or being applied (with retries).</summary>
    Applying,
    Progressing,
    Succeeded,
    Failed,
}

/// <summary>
/// What the cluster is doing with one applied request at one moment: counts, ReplicaSets, pods, recent events and, when
/// it is stuck, a plain-language line saying why. Carries no secret data: it is streamed to browsers and scripts.
/// </summary>
public sealed record RolloutSnapshot(
    int RequestId,
    RolloutPhase Phase,
    string Message,
    string? Blocking,
    int Desired,
    int Updated,
    int Ready,
    int Available,
    IReadOnlyList<ReplicaSetState> ReplicaSets,
    IReadOnlyList<PodState> Pods,
    IReadOnlyList<EventLine> Events,
    TimeSpan Elapsed,
    TimeSpan Deadline,
    DateTimeOffset At)
{
    /// <summary>When the rollout started (the apply): pages count the elapsed time from it themselves, between snapshots.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    public bool IsFinal => Phase is RolloutPhase.Succeeded or RolloutPhase.Failed;

    /// <summary>What the timeline records: a snapshot worth a line when this differs from the previous one's.</summary>
    public string Summary => $"{Phase}: {Message}{(Blocking is null ? "" : $" — {Blocking}")} ({Updated} updated, {Ready} ready, {Available} available of {Desired})";

    public static RolloutSnapshot Waiting(int requestId, string message, DateTimeOffset at) =>
        new(requestId, RolloutPhase.Applying, message, null, 0, 0, 0, 0, [], [], [], TimeSpan.Zero, TimeSpan.Zero, at);
}

public sealed record ReplicaSetState(string Name, string Revision, bool IsNew, int Desired, int Ready, int Available);

public sealed record PodState(string Name, bool IsNew, string Phase, string? Reason, int Restarts, bool Ready, string? Node);

public sealed record EventLine(DateTimeOffset? At, string Type, string Reason, string Object, string Message, int Count);

public sealed record TimelineEntry(DateTimeOffset At, string Summary);
