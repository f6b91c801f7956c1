using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox.Patching;

/// <summary>
/// The set of fields an object sets, as server-side apply tracks ownership: each path is a list of
/// <c>f:name</c> (field), <c>k:{...}</c> (keyed list item), <c>v:...</c> (set member) and <c>.</c> (the item itself),
/// convertible to and from the <c>fieldsV1</c> trees stored in <c>metadata.managedFields</c>.
/// </summary>
internal sealed class FieldSet
{
    private const char Separator = '\u001f';
    private static readonly HashSet<string> ServerMetadata =
        ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "deletionTimestamp", "selfLink"];

    private readonly HashSet<string> paths;

    private FieldSet(HashSet<string> paths) => this.paths = paths;

    public static FieldSet Empty => new([]);

    public int Count => this.paths.Count;

    public IEnumerable<string[]> Paths => this.paths.Select(p => p.Split(Separator));

    /// <summary>The fields an object sets; <paramref name="status"/> picks the status part (the /status subresource's) or the rest.</summary>
    public static FieldSet Of(JsonObject? obj, bool status = false)
    {
        var paths = new HashSet<string>();
        if (obj is null)
        {
            return new(paths);
        }

        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind")
            {
                continue;
            }

            if ((key == "status") != status)
            {
                continue;
            }

            if (key == "metadata" && value is JsonObject metadata)
            {
                foreach (var (mk, mv) in metadata)
                {
                    if (ServerMetadata.Contains(mk))
                    {
                        continue;
                    }

                    Walk(mv, ["f:metadata", "f:" + mk], ["metadata", mk], paths);
                }
                continue;
            }
            Walk(value, ["f:" + key], [key], paths);
        }
        return new(paths);
    }

    public static FieldSet FromPaths(IEnumerable<string[]> paths) => new([.. paths.Select(p => string.Join(Separator, p))]);

    public static FieldSet FromFieldsV1(JsonNode? tree)
    {
        var paths = new HashSet<string>();
        if (tree is JsonObject o)
        {
            Collect(o, [], paths);
        }

        return new(paths);
    }

    public JsonObject ToFieldsV1()
    {
        var root = new JsonObject();
        foreach (var path in this.paths.Order(StringComparer.Ordinal))
        {
            var node = root;
            foreach (var part in path.Split(Separator))
            {
                if (node[part] is not JsonObject next)
                {
                    next = new JsonObject();
                    node[part] = next;
                }
                node = next;
            }
        }
        return root;
    }

    public bool Contains(string[] path) => this.paths.Contains(string.Join(Separator, path));

    public FieldSet Union(FieldSet other) => new([.. this.paths, .. other.paths]);

    public FieldSet Except(FieldSet other) => new([.. this.paths.Where(p => !other.paths.Contains(p))]);

    public FieldSet Intersect(FieldSet other) => new([.. this.paths.Where(other.paths.Contains)]);

    public FieldSet Where(Func<string[], bool> keep) => new([.. this.paths.Where(p => keep(p.Split(Separator)))]);

    public bool SetEquals(FieldSet other) => this.paths.SetEquals(other.paths);

    /// <summary>The value at a path in an object: (false, null) when the object does not have it.</summary>
    public static (bool Found, JsonNode? Value) Find(JsonNode? root, string[] path)
    {
        var node = root;
        foreach (var part in path)
        {
            if (part == ".")
            {
                return (node is not null, node);
            }

            switch (part[0])
            {
                case 'f' when node is JsonObject o && o.TryGetPropertyValue(part[2..], out var child): node = child; break;
                case 'k' when node is JsonArray a: node = FindItem(a, part); if (node is null) { return (false, null); } break;
                case 'v' when node is JsonArray a:
                    var value = JsonNode.Parse(part[2..]);
                    return a.Any(i => JsonNode.DeepEquals(i, value)) ? (true, value) : (false, null);
                default: return (false, null);
            }
        }
        return (true, node);
    }

    /// <summary>Whether some field of this set lies at or below <paramref name="prefix"/>.</summary>
    public bool Covers(string[] prefix)
    {
        var text = string.Join(Separator, prefix);
        return this.paths.Any(p => p == text || p.StartsWith(text + Separator, StringComparison.Ordinal));
    }

    /// <summary>Removes the field at a path from an object, if it is there.</summary>
    public static void Remove(JsonNode? root, string[] path)
    {
        if (path.Length == 0)
        {
            return;
        }

        var last = path[^1];
        if (last == ".")
        {
            path = path[..^1];
            last = path[^1];
        }
        var (found, parent) = Find(root, path[..^1]);
        if (!found)
        {
            return;
        }

        switch (last[0])
        {
            case 'f' when parent is JsonObject o: o.Remove(last[2..]); break;
            case 'k' when parent is JsonArray a && FindItem(a, last) is { } item: a.Remove(item); break;
            case 'v' when parent is JsonArray a:
                var value = JsonNode.Parse(last[2..]);
                foreach (var i in a.Where(i => JsonNode.DeepEquals(i, value)).ToList())
                {
                    a.Remove(i);
                }

                break;
        }
    }

    /// <summary>The dotted form a conflict message names a field by, e.g. <c>.spec.template.spec.containers[name="web"].image</c>.</summary>
    public static string Describe(string[] path)
    {
        var text = new System.Text.StringBuilder();
        foreach (var part in path)
        {
            if (part == ".")
            {
                continue;
            }

            if (part.StartsWith("f:", StringComparison.Ordinal))
            {
                text.Append('.').Append(part[2..]);
            }
            else if (part.StartsWith("k:", StringComparison.Ordinal))
            {
                var keys = JsonNode.Parse(part[2..])!.AsObject();
                text.Append('[').Append(string.Join(",", keys.Select(k => $"{k.Key}={k.Value?.ToJsonString()}"))).Append(']');
            }
            else
            {
                text.Append('[').Append(part[2..]).Append(']');
            }
        }
        return text.ToString();
    }

    private static JsonNode? FindItem(JsonArray list, string keyPart)
    {
        var keys = JsonNode.Parse(keyPart[2..])!.AsObject();
        return list.FirstOrDefault(i => i is JsonObject o && keys.All(k => JsonNode.DeepEquals(o[k.Key], k.Value)));
    }

    private static void Walk(JsonNode? value, List<string> prefix, List<string> schemaPath, HashSet<string> paths)
    {
        switch (value)
        {
            case JsonObject o when o.Count > 0:
                foreach (var (k, v) in o)
                {
                    Walk(v, [.. prefix, "f:" + k], [.. schemaPath, k], paths);
                }

                break;
            case JsonArray a:
                var schema = ListSchema.For(schemaPath);
                if (schema.Merge == ListMerge.Map && a.All(i => i is JsonObject io && io.ContainsKey(schema.Keys[0])))
                {
                    foreach (var item in a.Select(i => i!.AsObject()))
                    {
                        var itemPath = new List<string>([.. prefix, KeyOf(item, schema.Keys)]);
                        paths.Add(string.Join(Separator, [.. itemPath, "."]));
                        foreach (var (k, v) in item)
                        {
                            Walk(v, [.. itemPath, "f:" + k], [.. schemaPath, k], paths);
                        }
                    }
                }
                else if (schema.Merge == ListMerge.Set && a.Count > 0)
                {
                    foreach (var item in a)
                    {
                        paths.Add(string.Join(Separator, [.. prefix, "v:" + (item?.ToJsonString() ?? "null")]));
                    }
                }
                else
                {
                    paths.Add(string.Join(Separator, prefix));
                }

                break;
            default:
                paths.Add(string.Join(Separator, prefix));
                break;
        }
    }

    private static string KeyOf(JsonObject item, string[] keys)
    {
        var key = new JsonObject();
        foreach (var k in keys.Order(StringComparer.Ordinal))
        {
            if (item[k] is { } v)
            {
                key[k] = v.DeepClone();
            }
        }
        return "k:" + key.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private static void Collect(JsonObject node, List<string> prefix, HashSet<string> paths)
    {
        foreach (var (key, child) in node)
        {
            List<string> path = [.. prefix, key];
            if (key == "." || child is not JsonObject { Count: > 0 } inner)
            {
                paths.Add(string.Join(Separator, path));
            }
            else
            {
                Collect(inner, path, paths);
            }
        }
    }
}
