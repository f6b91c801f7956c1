using System.Text.Json.Nodes;
using Sandbox.Store;

namespace Sandbox.Patching;

/// <summary>
/// <c>metadata.managedFields</c>: which manager set which field, by operation (Apply or Update), and server-side apply on top of it.
/// </summary>
/// <remarks>
/// The model is the real one in small: an update gives its manager the fields it changed and takes them from everyone else;
/// an apply gives its manager exactly the fields of its configuration, refuses (409) to change a value another manager owns
/// unless forced, and removes the fields it stopped applying when nobody else owns them.
/// </remarks>
internal static class FieldOwnership
{
    private sealed class Entry
    {
        public required string Manager;
        public required string Operation;
        public required string ApiVersion;
        public string? Time;
        public string? Subresource;
        public required FieldSet Fields;
    }

    /// <summary>Records a create/update/patch by <paramref name="manager"/> in <paramref name="after"/>'s managedFields.</summary>
    public static void RecordUpdate(JsonObject? before, JsonObject after, string manager, string apiVersion, string? subresource, string now)
    {
        var status = subresource == "status";
        var beforeFields = FieldSet.Of(before, status);
        var afterFields = FieldSet.Of(after, status);
        var changed = afterFields.Where(p => !beforeFields.Contains(p) || !SameValue(before, after, p));
        var removed = beforeFields.Except(afterFields);
        var entries = Read(after["metadata"]?["managedFields"] ?? before?["metadata"]?["managedFields"]);
        if (changed.Count == 0 && removed.Count == 0)
        {
            Write(after, entries);
            return;
        }
        foreach (var entry in entries)
        {
            entry.Fields = entry.Fields.Except(changed).Except(removed);
        }

        var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Update" && e.Subresource == subresource);
        if (mine is null)
        {
            mine = new Entry { Manager = manager, Operation = "Update", ApiVersion = apiVersion, Subresource = subresource, Fields = FieldSet.Empty };
            entries.Add(mine);
        }
        mine.Fields = mine.Fields.Union(changed);
        mine.Time = now;
        mine.ApiVersion = apiVersion;
        Write(after, entries);
    }

    /// <summary>
    /// Server-side apply of <paramref name="applied"/> by <paramref name="manager"/> onto <paramref name="current"/> (null: create).
    /// Returns the object to store, with managedFields updated; throws 409 Conflict listing the contested fields unless forced.
    /// </summary>
    public static JsonObject Apply(ResourceType type, JsonObject? current, JsonObject applied, string manager, bool force, string? subresource, string now)
    {
        var status = subresource == "status";
        var appliedFields = FieldSet.Of(applied, status);
        var entries = Read(current?["metadata"]?["managedFields"]);
        var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Apply" && e.Subresource == subresource);
        var previous = mine?.Fields ?? FieldSet.Empty;

        var conflicts = new List<(Entry Owner, string[] Path)>();
        foreach (var other in entries.Where(e => e.Manager != manager && e.Subresource == subresource))
        {
            foreach (var path in other.Fields.Intersect(appliedFields).Paths)
            {
                if (path[^1] != "." && !SameValue(current, applied, path))
                {
                    conflicts.Add((other, path));
                }
            }
        }
        if (conflicts.Count > 0 && !force)
        {
            var described = conflicts.Select(c => (c.Owner, Field: FieldSet.Describe(c.Path))).ToList();
            var message = $"Apply failed with {conflicts.Count} conflict{(conflicts.Count == 1 ? "" : "s")}: "
                + string.Join("\n", described.Select(c => $"conflict with \"{c.Owner.Manager}\"{(c.Owner.Operation == "Update" ? $" using {c.Owner.ApiVersion}" : "")}: {c.Field}"));
            throw new StoreException(409, "Conflict", message)
            {
                Details = ((string?)applied["metadata"]?["name"], type.Group, type.Plural),
                Causes = [.. described.Select(c => ("FieldManagerConflict", $"conflict with \"{c.Owner.Manager}\"", c.Field))],
            };
        }
        foreach (var (owner, path) in conflicts)
        {
            owner.Fields = owner.Fields.Except(FieldSet.FromPaths([path]));
        }

        var result = current?.DeepClone().AsObject() ?? new JsonObject();
        Merge(result, applied, []);
        var ownedByOthers = entries.Where(e => e != mine && e.Subresource == subresource)
            .Aggregate(FieldSet.Empty, (all, e) => all.Union(e.Fields));
        var kept = appliedFields.Union(ownedByOthers);
        var dropped = previous.Except(appliedFields).Except(ownedByOthers).Paths.ToList();
        foreach (var path in dropped.OrderByDescending(p => p.Length))
        {
            FieldSet.Remove(result, path);
        }

        // A map only there to hold fields nobody sets any more goes too (readinessProbe: {httpGet: {}} is invalid),
        // as the real field manager removes a field whole once no manager owns anything in it.
        var parents = dropped.SelectMany(p => Enumerable.Range(1, p.Length - 1).Select(n => p[..n]))
            .Where(p => p[^1].StartsWith("f:", StringComparison.Ordinal))
            .DistinctBy(p => string.Join('/', p)).OrderByDescending(p => p.Length);
        foreach (var parent in parents)
        {
            if (FieldSet.Find(result, parent) is (true, JsonObject { Count: 0 }) && !kept.Covers(parent))
            {
                FieldSet.Remove(result, parent);
            }
        }

        if (mine is null)
        {
            mine = new Entry { Manager = manager, Operation = "Apply", ApiVersion = type.ApiVersion, Subresource = subresource, Fields = appliedFields };
            entries.Add(mine);
        }
        var changed = current is null || !previous.SetEquals(appliedFields) || !JsonNode.DeepEquals(WithoutManagedFields(current), WithoutManagedFields(result));
        if (changed)
        {
            mine.Time = now;
        }

        mine.Fields = appliedFields;
        mine.ApiVersion = type.ApiVersion;
        Write(result, entries);
        return result;
    }

    private static JsonObject WithoutManagedFields(JsonObject obj)
    {
        var copy = obj.DeepClone().AsObject();
        (copy["metadata"] as JsonObject)?.Remove("managedFields");
        return copy;
    }

    /// <summary>Merges an applied configuration into an object the way apply does: maps and keyed lists merge, other lists are replaced.</summary>
    private static void Merge(JsonObject target, JsonObject applied, List<string> path)
    {
        foreach (var (key, value) in applied)
        {
            path.Add(key);
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject child && target[key] is JsonObject existing)
            {
                Merge(existing, child, path);
            }
            else if (value is JsonArray list && target[key] is JsonArray existingList)
            {
                target[key] = MergeList(existingList, list, path);
            }
            else
            {
                target[key] = value.DeepClone();
            }

            path.RemoveAt(path.Count - 1);
        }
    }

    private static JsonArray MergeList(JsonArray target, JsonArray applied, List<string> path)
    {
        var schema = ListSchema.For(path);
        if (schema.Merge == ListMerge.Set)
        {
            var union = target.DeepClone().AsArray();
            foreach (var item in applied.Where(i => !union.Any(u => JsonNode.DeepEquals(u, i))))
            {
                union.Add(item?.DeepClone());
            }

            return union;
        }
        if (schema.Merge == ListMerge.Atomic || applied.Any(i => i is not JsonObject))
        {
            return applied.DeepClone().AsArray();
        }

        var merged = target.DeepClone().AsArray();
        foreach (var item in applied.Select(i => i!.AsObject()))
        {
            var existing = merged.FirstOrDefault(m => m is JsonObject o
                && schema.Keys.All(k => !item.ContainsKey(k) || JsonNode.DeepEquals(o[k], item[k])));
            if (existing is JsonObject found)
            {
                Merge(found, item, path);
            }
            else
            {
                merged.Add(item.DeepClone());
            }
        }
        return merged;
    }

    private static bool SameValue(JsonObject? a, JsonObject? b, string[] path)
    {
        var (foundA, valueA) = FieldSet.Find(a, path);
        var (foundB, valueB) = FieldSet.Find(b, path);
        if (foundA != foundB)
        {
            return false;
        }
        // For a map, ownership is about its fields, each compared on its own path.
        if (valueA is JsonObject { Count: > 0 } && valueB is JsonObject { Count: > 0 })
        {
            return true;
        }

        return JsonNode.DeepEquals(valueA, valueB);
    }

    private static List<Entry> Read(JsonNode? managedFields)
    {
        var entries = new List<Entry>();
        if (managedFields is not JsonArray list)
        {
            return entries;
        }

        foreach (var item in list.OfType<JsonObject>())
        {
            entries.Add(new Entry
            {
                Manager = (string?)item["manager"] ?? "",
                Operation = (string?)item["operation"] ?? "Update",
                ApiVersion = (string?)item["apiVersion"] ?? "",
                Time = (string?)item["time"],
                Subresource = (string?)item["subresource"],
                Fields = FieldSet.FromFieldsV1(item["fieldsV1"]),
            });
        }
        return entries;
    }

    private static void Write(JsonObject obj, List<Entry> entries)
    {
        var metadata = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = metadata;
        var list = new JsonArray();
        foreach (var e in entries.Where(e => e.Fields.Count > 0))
        {
            var item = new JsonObject
            {
                ["manager"] = e.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.ApiVersion,
            };
            if (e.Time is not null)
            {
                item["time"] = e.Time;
            }

            item["fieldsType"] = "FieldsV1";
            item["fieldsV1"] = e.Fields.ToFieldsV1();
            if (e.Subresource is not null)
            {
                item["subresource"] = e.Subresource;
            }

            list.Add(item);
        }
        if (list.Count > 0)
        {
            metadata["managedFields"] = list;
        }
        else
        {
            metadata.Remove("managedFields");
        }
    }
}
