using System.Text.Json.Nodes;

namespace Sandbox.Patching;

/// <summary>
/// Strategic merge patch (<c>application/strategic-merge-patch+json</c>) for the lists kubectl patches:
/// keyed lists merge item by item (containers by name, container ports by containerPort, ...), finalizers merge as a set,
/// other lists are replaced. Directives <c>$patch</c> (replace/delete/merge), <c>$retainKeys</c>,
/// <c>$deleteFromPrimitiveList/</c> are honoured; <c>$setElementOrder/</c> is accepted and otherwise ignored.
/// </summary>
internal static class StrategicMergePatch
{
    public static JsonObject Apply(JsonObject target, JsonObject patch)
    {
        var result = target.DeepClone().AsObject();
        return MergeObject(result, patch, []) ?? new JsonObject();
    }

    private static JsonObject? MergeObject(JsonObject target, JsonObject patch, List<string> path)
    {
        switch ((string?)patch["$patch"])
        {
            case "replace": return Clean(patch).AsObject();
            case "delete": return null;
        }
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (target[field] is JsonArray list && value is JsonArray remove)
                {
                    foreach (var item in list.Where(i => remove.Any(r => JsonNode.DeepEquals(r, i))).ToList())
                    {
                        list.Remove(item);
                    }
                }
                continue;
            }
            if (key.StartsWith('$'))
            {
                continue;
            }

            path.Add(key);
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject child)
            {
                var merged = target[key] is JsonObject existing ? MergeObject(existing, child, path) : MergeObject(new JsonObject(), child, path);
                if (merged is null)
                {
                    target.Remove(key);
                }
                else if (!ReferenceEquals(merged, target[key]))
                {
                    target[key] = merged;
                }
            }
            else if (value is JsonArray items)
            {
                target[key] = MergeList(target[key] as JsonArray, items, path);
            }
            else
            {
                target[key] = value.DeepClone();
            }

            path.RemoveAt(path.Count - 1);
        }
        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(k => (string?)k).ToHashSet();
            foreach (var key in target.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
            {
                target.Remove(key);
            }
        }
        return target;
    }

    private static JsonArray MergeList(JsonArray? target, JsonArray patch, List<string> path)
    {
        var schema = ListSchema.For(path);
        if (schema.Merge == ListMerge.Set)
        {
            var result = target?.DeepClone().AsArray() ?? [];
            foreach (var item in patch.Where(i => !result.Any(r => JsonNode.DeepEquals(r, i))))
            {
                result.Add(item?.DeepClone());
            }

            return result;
        }
        if (schema.Merge == ListMerge.Atomic || schema.PatchKey is null || patch.Any(i => i is not JsonObject))
        {
            return Clean(patch).AsArray();
        }

        var key = schema.PatchKey;
        if (patch.Any(i => (string?)i!["$patch"] == "replace"))
        {
            return new JsonArray([.. patch.Where(i => (string?)i!["$patch"] != "replace").Select(i => (JsonNode?)Clean(i!))]);
        }

        var merged = target?.DeepClone().AsArray() ?? [];
        foreach (var item in patch.Select(i => i!.AsObject()))
        {
            var existing = merged.FirstOrDefault(m => m is JsonObject o && JsonNode.DeepEquals(o[key], item[key]));
            if ((string?)item["$patch"] == "delete")
            {
                if (existing is not null)
                {
                    merged.Remove(existing);
                }

                continue;
            }
            if (existing is JsonObject current)
            {
                MergeObject(current, item, path);
            }
            else
            {
                merged.Add(Clean(item));
            }
        }
        return merged;
    }

    /// <summary>A copy without directives, for patch content that is inserted rather than merged.</summary>
    private static JsonNode Clean(JsonNode node) => node switch
    {
        JsonObject o => new JsonObject(o.Where(p => !p.Key.StartsWith('$'))
            .Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : Clean(p.Value)))),
        JsonArray a => new JsonArray([.. a.Where(i => i is not JsonObject io || (string?)io["$patch"] is null).Select(i => i is null ? null : Clean(i))]),
        _ => node.DeepClone(),
    };
}
