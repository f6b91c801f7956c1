using System.Text;
using System.Text.Json.Nodes;

namespace Sandbox.Api;

/// <summary>
/// Reads the few objects kubectl's generator commands send as protobuf (<c>kubectl create namespace|configmap|secret</c>):
/// the <c>k8s\0</c> envelope, runtime.Unknown, and the Namespace, ConfigMap and Secret messages with their ObjectMeta
/// name, namespace, labels and annotations. Anything else stays unsupported (415).
/// </summary>
internal static class ProtobufObject
{
    private static readonly byte[] Magic = [0x6b, 0x38, 0x73, 0x00];

    public static JsonObject? TryDecode(byte[] body)
    {
        if (body.Length < Magic.Length || !body.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            return null;
        }

        string? apiVersion = null, kind = null;
        byte[]? raw = null;
        foreach (var (field, value) in Fields(body.AsMemory(Magic.Length)))
        {
            if (field == 1)
            {
                foreach (var (typeField, typeValue) in Fields(value))
                {
                    if (typeField == 1)
                    {
                        apiVersion = Text(typeValue);
                    }

                    if (typeField == 2)
                    {
                        kind = Text(typeValue);
                    }
                }
            }
            else if (field == 2)
            {
                raw = value.ToArray();
            }
        }

        if (apiVersion != "v1" || raw is null)
        {
            return null;
        }

        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        switch (kind)
        {
            case "Namespace":
                foreach (var (field, value) in Fields(raw))
                {
                    if (field == 1)
                    {
                        obj["metadata"] = Metadata(value);
                    }
                }

                return obj;
            case "ConfigMap":
                foreach (var (field, value) in Fields(raw))
                {
                    if (field == 1)
                    {
                        obj["metadata"] = Metadata(value);
                    }

                    if (field == 2)
                    {
                        AddEntry(obj, "data", value, bytes: false);
                    }

                    if (field == 3)
                    {
                        AddEntry(obj, "binaryData", value, bytes: true);
                    }
                }

                return obj;
            case "Secret":
                foreach (var (field, value) in Fields(raw))
                {
                    if (field == 1)
                    {
                        obj["metadata"] = Metadata(value);
                    }

                    if (field == 2)
                    {
                        AddEntry(obj, "data", value, bytes: true);
                    }

                    if (field == 3)
                    {
                        obj["type"] = Text(value);
                    }

                    if (field == 4)
                    {
                        AddEntry(obj, "stringData", value, bytes: false);
                    }
                }

                return obj;
            default:
                return null;
        }
    }

    private static JsonObject Metadata(ReadOnlyMemory<byte> message)
    {
        var metadata = new JsonObject();
        foreach (var (field, value) in Fields(message))
        {
            switch (field)
            {
                case 1: metadata["name"] = Text(value); break;
                case 2: metadata["generateName"] = Text(value); break;
                case 3: metadata["namespace"] = Text(value); break;
                case 11: AddEntry(metadata, "labels", value, bytes: false); break;
                case 12: AddEntry(metadata, "annotations", value, bytes: false); break;
            }
        }

        return metadata;
    }

    /// <summary>A map entry (key = field 1, value = field 2) added to the object's map property; bytes become base64 as in JSON.</summary>
    private static void AddEntry(JsonObject target, string property, ReadOnlyMemory<byte> entry, bool bytes)
    {
        string key = "", text = "";
        foreach (var (field, value) in Fields(entry))
        {
            if (field == 1)
            {
                key = Text(value);
            }

            if (field == 2)
            {
                text = bytes ? Convert.ToBase64String(value.Span) : Text(value);
            }
        }

        if (target[property] is not JsonObject map)
        {
            target[property] = map = new JsonObject();
        }

        map[key] = text;
    }

    /// <summary>The length-delimited fields of a message (the only wire type these messages use for what we read).</summary>
    private static IEnumerable<(int Field, ReadOnlyMemory<byte> Value)> Fields(ReadOnlyMemory<byte> message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var tag = Varint(message.Span, ref position);
            var field = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0:
                    Varint(message.Span, ref position);
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(message.Span, ref position);
                    yield return (field, message.Slice(position, length));
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new FormatException($"unsupported protobuf wire type {tag & 7}");
            }
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> span, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = span[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private static string Text(ReadOnlyMemory<byte> value) => Encoding.UTF8.GetString(value.Span);
}
