using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Controllers;

/// <summary>
/// The few fields controllers read and write on untyped objects. Reads are tolerant of how clients spell
/// values (a replica count may arrive as 3, 3.0 or "3"), because objects come from kubectl, SSA and JSON patches alike.
/// </summary>
internal static class ObjectFields
{
    public static JsonNode? At(this JsonNode? node, params ReadOnlySpan<string> path)
    {
        foreach (var key in path)
        {
            if (node is not JsonObject obj)
            {
                return null;
            }

            node = obj[key];
        }
        return node;
    }

    public static string? Text(this JsonNode? node, params ReadOnlySpan<string> path) =>
        node.At(path) is JsonValue value
            ? value.GetValueKind() switch
            {
                JsonValueKind.String => value.GetValue<string>(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.ToJsonString(),
                _ => null,
            }
            : null;

    public static long? Number(this JsonNode? node, params ReadOnlySpan<string> path)
    {
        if (node.At(path) is not JsonValue value)
        {
            return null;
        }

        switch (value.GetValueKind())
        {
            case JsonValueKind.Number:
                if (value.TryGetValue<long>(out var whole))
                {
                    return whole;
                }

                return decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (long)d : null;
            case JsonValueKind.String:
                return long.TryParse(value.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
            default:
                return null;
        }
    }

    public static int? Int(this JsonNode? node, params ReadOnlySpan<string> path) =>
        node.Number(path) is { } n ? (int)Math.Clamp(n, int.MinValue, int.MaxValue) : null;

    public static bool Flag(this JsonNode? node, params ReadOnlySpan<string> path) =>
        node.At(path) is JsonValue value && value.GetValueKind() == JsonValueKind.True;

    /// <summary>The object at <paramref name="path"/>, created (replacing anything that is not an object) when missing.</summary>
    public static JsonObject Ensure(this JsonObject obj, params ReadOnlySpan<string> path)
    {
        foreach (var key in path)
        {
            if (obj[key] is not JsonObject child)
            {
                child = new JsonObject();
                obj[key] = child;
            }
            obj = child;
        }
        return obj;
    }

    public static IEnumerable<JsonObject> Objects(this JsonNode? node, params ReadOnlySpan<string> path) =>
        node.At(path) is JsonArray array ? array.OfType<JsonObject>() : [];

    public static string Name(this JsonObject obj) => obj.Text("metadata", "name") ?? "";

    public static string Namespace(this JsonObject obj) => obj.Text("metadata", "namespace") ?? "";

    public static string Uid(this JsonObject obj) => obj.Text("metadata", "uid") ?? "";

    public static long Generation(this JsonObject obj) => obj.Number("metadata", "generation") ?? 0;

    public static DateTimeOffset CreationTime(this JsonObject obj) => ParseTime(obj.Text("metadata", "creationTimestamp")) ?? DateTimeOffset.MinValue;

    public static bool IsBeingDeleted(this JsonObject obj) => obj.Text("metadata", "deletionTimestamp") is not null;

    public static string? Annotation(this JsonObject obj, string key) => obj.Text("metadata", "annotations", key);

    public static Dictionary<string, string> StringMap(this JsonNode? node, params ReadOnlySpan<string> path)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node.At(path) is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                if (value.Text() is { } text)
                {
                    map[key] = text;
                }
            }
        }
        return map;
    }

    public static Dictionary<string, string> Labels(this JsonObject obj) => obj.StringMap("metadata", "labels");

    /// <summary>The owner reference marked controller=true, as the garbage collector and controllers follow it.</summary>
    public static JsonObject? ControllerReference(this JsonObject obj) =>
        obj.Objects("metadata", "ownerReferences").FirstOrDefault(r => r.Flag("controller"));

    public static bool IsControlledBy(this JsonObject obj, JsonObject owner) =>
        obj.ControllerReference() is { } reference && reference.Text("uid") == owner.Uid();

    public static JsonObject ControllerReferenceTo(JsonObject owner, ResourceType type) => new()
    {
        ["apiVersion"] = type.ApiVersion,
        ["kind"] = type.Kind,
        ["name"] = owner.Name(),
        ["uid"] = owner.Uid(),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    public static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;

    public static string Timestamp(DateTimeOffset time) => ClusterStore.Timestamp(time);

    /// <summary>Conditions are matched by type, as every Kubernetes status does.</summary>
    public static JsonObject? Condition(this JsonNode? status, string type) =>
        status.Objects("conditions").FirstOrDefault(c => c.Text("type") == type);

    public static string Key(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : $"{ns}/{name}";
}
