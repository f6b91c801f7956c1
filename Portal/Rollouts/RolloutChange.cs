using System.Text.Json.Serialization;

namespace Portal.Rollouts;

/// <summary>
/// One message of the hub's <c>FollowRollout</c> stream: a snapshot told as a change from the one sent before it on the
/// same stream. The counts, phase and messages are always whole; the ReplicaSet, Pod and Event lists are left out while
/// they are unchanged and otherwise say which lines are new and which of the previous lines stay. A client keeps the
/// last snapshot it rebuilt and applies each message to it (<see cref="ApplyTo"/>); the first message of a stream
/// changes nothing into the whole snapshot, so a client that reconnects starts again from nothing.
/// </summary>
public sealed record RolloutChange(
    int RequestId,
    RolloutPhase Phase,
    string Message,
    string? Blocking,
    int Desired,
    int Updated,
    int Ready,
    int Available,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ListChange<ReplicaSetState>? ReplicaSets,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ListChange<PodState>? Pods,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ListChange<EventLine>? Events,
    TimeSpan Elapsed,
    TimeSpan Deadline,
    DateTimeOffset At)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? StartedAt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BlockingKind? Blocked { get; init; }

    /// <summary>What to send after <paramref name="previous"/> (null: nothing sent yet) so that the client ends at <paramref name="current"/>.</summary>
    public static RolloutChange Between(RolloutSnapshot? previous, RolloutSnapshot current) => new(
        current.RequestId,
        current.Phase,
        current.Message,
        current.Blocking,
        current.Desired,
        current.Updated,
        current.Ready,
        current.Available,
        ListChange<ReplicaSetState>.Between(previous?.ReplicaSets ?? [], current.ReplicaSets),
        ListChange<PodState>.Between(previous?.Pods ?? [], current.Pods),
        ListChange<EventLine>.Between(previous?.Events ?? [], current.Events),
        current.Elapsed,
        current.Deadline,
        current.At)
    {
        StartedAt = current.StartedAt,
        Blocked = current.Blocked,
    };

    /// <summary>The snapshot this message describes, given the one rebuilt from the previous message (null for the first).</summary>
    public RolloutSnapshot ApplyTo(RolloutSnapshot? previous) => new(
        RequestId,
        Phase,
        Message,
        Blocking,
        Desired,
        Updated,
        Ready,
        Available,
        ListChange<ReplicaSetState>.Apply(ReplicaSets, previous?.ReplicaSets ?? []),
        ListChange<PodState>.Apply(Pods, previous?.Pods ?? []),
        ListChange<EventLine>.Apply(Events, previous?.Events ?? []),
        Elapsed,
        Deadline,
        At)
    {
        StartedAt = StartedAt,
        Blocked = Blocked,
    };
}

/// <summary>
/// How a list changed: the new list is <see cref="Add"/> followed by <see cref="Keep"/> lines of the previous list from
/// index <see cref="From"/>. Lists put their newest lines first (events) or change a few lines at a time (pods), so the
/// lines that stay are mostly one run of the previous list.
/// </summary>
public sealed record ListChange<T>(
    IReadOnlyList<T> Add,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int From = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Keep = 0)
    where T : notnull
{
    /// <summary>Null when the lists are equal; else the fewest new lines before one run of the previous list.</summary>
    public static ListChange<T>? Between(IReadOnlyList<T> previous, IReadOnlyList<T> current)
    {
        if (previous.Count == current.Count && previous.SequenceEqual(current))
        {
            return null;
        }

        if (previous.Count > 0)
        {
            var first = new Dictionary<T, int>();
            for (var i = previous.Count - 1; i >= 0; i--)
            {
                first[previous[i]] = i;
            }

            // The first line of current from which the rest is one run of the previous list.
            for (var start = 0; start < current.Count; start++)
            {
                var length = current.Count - start;
                if (first.TryGetValue(current[start], out var from) && from + length <= previous.Count && Same(previous, from, current, start, length))
                {
                    return new ListChange<T>([.. current.Take(start)], from, length);
                }
            }
        }

        return new ListChange<T>([.. current]);
    }

    /// <summary>The list after <paramref name="change"/> (null: unchanged) from <paramref name="previous"/>.</summary>
    public static IReadOnlyList<T> Apply(ListChange<T>? change, IReadOnlyList<T> previous)
    {
        if (change is null)
        {
            return previous;
        }

        if (change.From < 0 || change.Keep < 0 || change.From + change.Keep > previous.Count)
        {
            throw new InvalidOperationException($"The change keeps lines {change.From}..{change.From + change.Keep} of a list of {previous.Count}: a message was missed.");
        }

        var result = new T[change.Add.Count + change.Keep];
        for (var i = 0; i < change.Add.Count; i++)
        {
            result[i] = change.Add[i];
        }

        for (var i = 0; i < change.Keep; i++)
        {
            result[change.Add.Count + i] = previous[change.From + i];
        }

        return result;
    }

    private static bool Same(IReadOnlyList<T> previous, int from, IReadOnlyList<T> current, int start, int length)
    {
        var equal = EqualityComparer<T>.Default;
        for (var i = 0; i < length; i++)
        {
            if (!equal.Equals(previous[from + i], current[start + i]))
            {
                return false;
            }
        }

        return true;
    }
}
