using System.Text.Json;

namespace Portal.Rollouts;

/// <summary>
/// The JSON of one hub payload, made on first use and reused while the serializer options are the same: however many
/// viewers a payload goes to, it is serialized once. Two viewers may both get here first; both make the same bytes and
/// one copy stays.
/// </summary>
internal sealed class SerializedOnce(Func<JsonSerializerOptions, byte[]> serialize)
{
    private Serialized? serialized;

    public byte[] Json(JsonSerializerOptions options)
    {
        var current = Volatile.Read(ref serialized);
        if (current is not null && ReferenceEquals(current.Options, options))
        {
            return current.Bytes;
        }

        var made = new Serialized(options, serialize(options));
        Volatile.Write(ref serialized, made);
        return made.Bytes;
    }

    private sealed record Serialized(JsonSerializerOptions Options, byte[] Bytes);
}
