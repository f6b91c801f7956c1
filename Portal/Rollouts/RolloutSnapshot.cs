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

    /// <summary>What kind of trouble <see cref="Blocking"/> describes; null while nothing holds the rollout up.</summary>
    public BlockingKind? Blocked { get; init; }

    public bool IsFinal => Phase is RolloutPhase.Succeeded or RolloutPhase.Failed;

    /// <summary>Blocked by something that will not pass by waiting: the moment to offer "Roll back now".</summary>
    public bool IsStuck => !IsFinal && Blocked is BlockingKind.CrashLoop or BlockingKind.ImagePull or BlockingKind.Unschedulable;

    /// <summary>
    /// What the timeline records: a snapshot worth a line when this differs from the previous one's. It changes only
    /// when the phase, kubectl's message or the kind of trouble changes, not with each container restart.
    /// </summary>
    public string Summary => $"{Phase}: {Message}{Blocked switch
    {
        BlockingKind.CrashLoop => " — new pods crash-looping",
        BlockingKind.ImagePull => " — image not found",
        BlockingKind.Unschedulable => " — new pods cannot be scheduled",
        BlockingKind.NeverReady => " — new pods never became ready",
        BlockingKind.NoProgress => " — no progress before the deadline",
        _ => Blocking is null ? "" : $" — {Blocking}",
    }}";

    public static RolloutSnapshot Waiting(int requestId, string message, DateTimeOffset at) =>
        new(requestId, RolloutPhase.Applying, message, null, 0, 0, 0, 0, [], [], [], TimeSpan.Zero, TimeSpan.Zero, at);
}

/// <summary>
/// The kinds of trouble that hold a rollout up, from the new pods' recent history. A word wherever it is written, so
/// clients with plain Web JSON settings (the CLI) read it too.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<BlockingKind>))]
public enum BlockingKind
{
    CrashLoop,
    ImagePull,
    Unschedulable,
    NeverReady,
    NoProgress,
}

public sealed record ReplicaSetState(string Name, string Revision, bool IsNew, int Desired, int Ready, int Available);

public sealed record PodState(string Name, bool IsNew, string Phase, string? Reason, int Restarts, bool Ready, string? Node);

public sealed record EventLine(DateTimeOffset? At, string Type, string Reason, string Object, string Message, int Count);

public sealed record TimelineEntry(DateTimeOffset At, string Summary);
