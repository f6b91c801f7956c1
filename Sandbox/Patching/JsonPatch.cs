using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Patching;

/// <summary>RFC 6902 JSON Patch (<c>application/json-patch+json</c>), as kubectl rollout undo sends it.</summary>
internal static class JsonPatch
{
    public static JsonObject Apply(JsonObject target, JsonArray operations)
    {
        JsonNode root = target.DeepClone();
        foreach (var node in operations)
        {
            var op = node as JsonObject ?? throw StoreException.BadRequest("json patch operations must be objects");
            var kind = (string?)op["op"];
            var path = (string?)op["path"] ?? throw StoreException.BadRequest("json patch operation without path");
            switch (kind)
            {
                case "add": root = Add(root, path, Value(op)); break;
                case "remove": Remove(root, path); break;
                case "replace": root = Replace(root, path, Value(op)); break;
                case "move":
                {
                    var from = (string?)op["from"] ?? throw StoreException.BadRequest("json patch move without from");
                    var moved = Get(root, from).DeepClone();
                    Remove(root, from);
                    root = Add(root, path, moved);
                    break;
                }
                case "copy":
                {
                    var from = (string?)op["from"] ?? throw StoreException.BadRequest("json patch copy without from");
                    root = Add(root, path, Get(root, from).DeepClone());
                    break;
                }
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path), op["value"]))
                    {
                        throw new StoreException(422, "Invalid", $"the server rejected our request due to an error in our request: testing value {path} failed");
                    }

                    break;
                default: throw StoreException.BadRequest($"Unexpected kind: {kind}");
            }
        }
        return root as JsonObject ?? throw StoreException.BadRequest("json patch must leave an object");
    }

    private static JsonNode? Value(JsonObject op) =>
        op.TryGetPropertyValue("value", out var value) ? value?.DeepClone() : throw StoreException.BadRequest("json patch operation without value");

    private static string[] Split(string pointer)
    {
        if (pointer.Length == 0)
        {
            return [];
        }

        if (pointer[0] != '/')
        {
            throw StoreException.BadRequest($"invalid json pointer \"{pointer}\"");
        }

        return [.. pointer[1..].Split('/').Select(p => p.Replace("~1", "/").Replace("~0", "~"))];
    }

    private static JsonNode Get(JsonNode root, string pointer)
    {
        var node = root;
        foreach (var part in Split(pointer))
        {
            node = Child(node, part, pointer) ?? throw Missing(pointer);
        }

        return node;
    }

    private static JsonNode? Child(JsonNode node, string part, string pointer) => node switch
    {
        JsonObject o => o[part],
        JsonArray a when int.TryParse(part, out var i) && i >= 0 && i < a.Count => a[i],
        _ => throw Missing(pointer),
    };

    /// <summary>The object or array that holds the pointer's last part, and that part; null for the whole document.</summary>
    private static (JsonNode Parent, string Last)? Parent(JsonNode root, string pointer)
    {
        var parts = Split(pointer);
        if (parts.Length == 0)
        {
            return null;
        }

        var parent = root;
        foreach (var part in parts[..^1])
        {
            parent = Child(parent, part, pointer) ?? throw Missing(pointer);
        }

        return (parent, parts[^1]);
    }

    private static JsonNode Add(JsonNode root, string pointer, JsonNode? value)
    {
        if (Parent(root, pointer) is not (JsonNode parent, string last))
        {
            return value ?? throw StoreException.BadRequest("cannot replace the whole object with null");
        }

        switch (parent)
        {
            case JsonObject o: o[last] = value; break;
            case JsonArray a when last == "-": a.Add(value); break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count: a.Insert(i, value); break;
            default: throw Missing(pointer);
        }
        return root;
    }

    /// <summary>
    /// As the API server's json-patch library: replacing a key missing from an existing object sets it (kubectl cordon-style
    /// clients rely on it); the object itself, or an array index, must exist.
    /// </summary>
    private static JsonNode Replace(JsonNode root, string pointer, JsonNode? value)
    {
        if (Parent(root, pointer) is not (JsonNode parent, string last))
        {
            return value ?? throw StoreException.BadRequest("cannot replace the whole object with null");
        }

        switch (parent)
        {
            case JsonObject o: o[last] = value; break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count: a[i] = value; break;
            default: throw Missing(pointer);
        }
        return root;
    }

    private static void Remove(JsonNode root, string pointer)
    {
        var parts = Split(pointer);
        if (parts.Length == 0)
        {
            throw StoreException.BadRequest("cannot remove the whole object");
        }

        var parent = root;
        foreach (var part in parts[..^1])
        {
            parent = Child(parent, part, pointer) ?? throw Missing(pointer);
        }

        var last = parts[^1];
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last): o.Remove(last); break;
            // The real server's message for a key missing from an existing object.
            case JsonObject: throw new StoreException(422, "Invalid", $"the server rejected our request due to an error in our request: Unable to remove nonexistent key: {last}: missing value");
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count: a.RemoveAt(i); break;
            default: throw Missing(pointer);
        }
    }

    private static StoreException Missing(string pointer) =>
        new(422, "Invalid", $"the server rejected our request due to an error in our request: doc is missing path: \"{pointer}\"");
}
