using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Rollouts;

/// <summary>
/// A snapshot as the hub sends it: serialized once, with the hub's own payload settings, however many viewers it goes
/// to. On the wire it is exactly the <see cref="RolloutSnapshot"/>'s JSON; each viewer's stream message only wraps it.
/// </summary>
[JsonConverter(typeof(Converter))]
public sealed class HubSnapshot
{
    // One wrapper per snapshot object, shared by every stream that sends it; it goes with the snapshot.
    private static readonly ConditionalWeakTable<RolloutSnapshot, HubSnapshot> Wrappers = new();

    private readonly SerializedOnce json;

    private HubSnapshot(RolloutSnapshot snapshot)
    {
        Snapshot = snapshot;
        json = new SerializedOnce(options => JsonSerializer.SerializeToUtf8Bytes(snapshot, options));
    }

    public RolloutSnapshot Snapshot { get; }

    public static HubSnapshot Of(RolloutSnapshot snapshot) => Wrappers.GetValue(snapshot, s => new HubSnapshot(s));

    /// <summary>The snapshot's JSON with <paramref name="options"/>; made on first use, then reused for these options.</summary>
    internal byte[] Json(JsonSerializerOptions options) => json.Json(options);

    private sealed class Converter : JsonConverter<HubSnapshot>
    {
        public override HubSnapshot? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            JsonSerializer.Deserialize<RolloutSnapshot>(ref reader, options) is { } snapshot ? Of(snapshot) : null;

        public override void Write(Utf8JsonWriter writer, HubSnapshot value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.Json(options), skipInputValidation: true);
    }
}
