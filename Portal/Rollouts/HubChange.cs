using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Rollouts;

/// <summary>
/// A <see cref="RolloutChange"/> as the hub sends it: made and serialized once per snapshot and previous lists, however
/// many viewers it goes to. Every viewer that was sent the same snapshot before (the usual case: the notifier hands the
/// same snapshot object to all) gets the same bytes; a viewer that skipped states gets a change of its own.
/// </summary>
[JsonConverter(typeof(Converter))]
public sealed class HubChange
{
    private static readonly ConditionalWeakTable<RolloutSnapshot, Made> Cache = new();

    private readonly RolloutSnapshot? previous;
    private readonly RolloutSnapshot current;
    private RolloutChange? change;
    private readonly SerializedOnce json;

    private HubChange(RolloutSnapshot? previous, RolloutSnapshot current)
    {
        // Only the previous lists matter to the change (everything else is sent whole): keep them, not the snapshot, so
        // that a chain of snapshots is not held in memory through their changes.
        this.previous = previous is null ? null : RolloutSnapshot.Waiting(previous.RequestId, "", previous.At) with
        {
            ReplicaSets = previous.ReplicaSets,
            Pods = previous.Pods,
            Events = previous.Events,
        };
        this.current = current;
        json = new SerializedOnce(options => JsonSerializer.SerializeToUtf8Bytes(Change, options));
    }

    public RolloutChange Change => change ??= RolloutChange.Between(previous, current);

    /// <summary>The change from <paramref name="previous"/> (null: the first message) to <paramref name="current"/>, shared by every stream that sends the same.</summary>
    public static HubChange Of(RolloutSnapshot? previous, RolloutSnapshot current)
    {
        var made = Cache.GetValue(current, _ => new Made());
        if (previous is null)
        {
            return made.Whole ??= new HubChange(null, current);
        }

        if (made.After is { } after && SameLists(after.previous!, previous))
        {
            return after;
        }

        var own = new HubChange(previous, current);
        // The first viewer to get here decides which previous is shared; one that skipped states keeps its own.
        Interlocked.CompareExchange(ref made.After, own, null);
        return own;
    }

    /// <summary>The change's JSON with <paramref name="options"/>; made on first use, then reused for these options.</summary>
    internal byte[] Json(JsonSerializerOptions options) => json.Json(options);

    private static bool SameLists(RolloutSnapshot a, RolloutSnapshot b) =>
        Same(a.ReplicaSets, b.ReplicaSets) && Same(a.Pods, b.Pods) && Same(a.Events, b.Events);

    private static bool Same<T>(IReadOnlyList<T> a, IReadOnlyList<T> b) => ReferenceEquals(a, b) || (a.Count == b.Count && a.SequenceEqual(b));

    private sealed class Made
    {
        public HubChange? Whole;
        public HubChange? After;
    }

    private sealed class Converter : JsonConverter<HubChange>
    {
        public override HubChange? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("Clients read a hub change as a RolloutChange.");

        public override void Write(Utf8JsonWriter writer, HubChange value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.Json(options), skipInputValidation: true);
    }
}
