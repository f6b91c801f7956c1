using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox.Controllers;

/// <summary>
/// The <c>pod-template-hash</c> of a Deployment's pod template, computed like Kubernetes' <c>controller.ComputeHash</c>:
/// FNV-1a (32 bit) over the template, then the collision count, rendered as decimal digits mapped onto the
/// <c>SafeEncodeString</c> alphabet. Kubernetes hashes Go's in-memory dump of the struct; here the template is hashed
/// in a canonical JSON form, so the values differ from a real cluster's but are just as stable.
/// </summary>
internal static class PodTemplateHash
{
    public const string LabelKey = "pod-template-hash";

    // No vowels (no words) and no look-alikes (0/o, 1/l), as in Kubernetes' rand.SafeEncodeString.
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Compute(JsonNode? template, int? collisionCount = null)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(Canonical(template)))
        {
            hash = (hash ^ b) * 16777619u;
        }

        if (collisionCount is { } count)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, unchecked((uint)count));
            foreach (var b in bytes)
            {
                hash = (hash ^ b) * 16777619u;
            }
        }
        return SafeEncode(hash.ToString(CultureInfo.InvariantCulture));
    }

    public static string SafeEncode(string text) =>
        string.Create(text.Length, text, (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[source[i] % Alphabet.Length];
            }
        });

    /// <summary>
    /// Whether two pod templates are the same apart from their pod-template-hash label, like the Deployment
    /// controller's <c>EqualIgnoreHash</c> (which also treats empty and missing fields as equal).
    /// </summary>
    public static bool SameTemplate(JsonNode? a, JsonNode? b) => Canonical(a) == Canonical(b);

    /// <summary>
    /// Sorted keys, no nulls and no empty objects or arrays, numbers in shortest form, and the hash label left out:
    /// two templates that mean the same thing get the same text however a client spelled them.
    /// </summary>
    public static string Canonical(JsonNode? template)
    {
        var normalized = Normalize(template, path: "");
        var buffer = new StringBuilder();
        Write(normalized, buffer);
        return buffer.ToString();
    }

    private static JsonNode? Normalize(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
            {
                var result = new JsonObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    var childPath = path + "/" + key;
                    if (childPath == "/metadata/labels/" + LabelKey)
                        {
                            continue;
                        }

                        if (Normalize(value, childPath) is { } child)
                        {
                            result[key] = child;
                        }
                    }
                return result.Count == 0 ? null : result;
            }
            case JsonArray array:
            {
                var result = new JsonArray();
                foreach (var item in array)
                    {
                        result.Add(Normalize(item, path + "/*") ?? new JsonObject());
                    }

                    return result.Count == 0 ? null : result;
            }
            case JsonValue value:
                return value.GetValueKind() switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.Number when decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                        => JsonValue.Create(number / 1.0000000000000000000000000000m),
                    _ => value.DeepClone(),
                };
            default:
                return null;
        }
    }

    private static void Write(JsonNode? node, StringBuilder buffer)
    {
        switch (node)
        {
            case null:
                buffer.Append("null");
                break;
            case JsonObject obj:
                buffer.Append('{');
                var first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first)
                    {
                        buffer.Append(',');
                    }

                    first = false;
                    buffer.Append(JsonSerializer.Serialize(key)).Append(':');
                    Write(value, buffer);
                }
                buffer.Append('}');
                break;
            case JsonArray array:
                buffer.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        buffer.Append(',');
                    }

                    Write(array[i], buffer);
                }
                buffer.Append(']');
                break;
            default:
                buffer.Append(node.ToJsonString());
                break;
        }
    }
}
